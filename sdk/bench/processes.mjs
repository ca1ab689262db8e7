// Starting, probing and stopping the processes a benchmark needs, and reading their /proc figures.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';

const started = new Set();

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Spawns a process that prints a JSON line first (e.g. its port); resolves with the line and the child. */
export async function startHelper(node, script, env = {}) {
  const child = track(
    spawn(node, [script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) =>
      reject(new Error(`${script} exited with ${code} before it was ready`)),
    );
  });
  return { child, info: JSON.parse(first), lines };
}

/** Spawns a background process that is stopped with the others at the end. */
export function spawnTracked(command, args, options) {
  return track(spawn(command, args, options));
}

function track(child) {
  started.add(child);
  child.once('exit', () => started.delete(child));
  return child;
}

/**
 * Starts the app and polls `readyUrl` until it answers 200. Startup time runs from just before
 * spawn to the end of that first response.
 */
export async function startApp({ node, args, env, cwd, readyUrl, timeoutMs = 30_000 }) {
  const t0 = performance.now();
  const child = track(spawn(node, args, { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  let exited = null;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  while (performance.now() - t0 < timeoutMs) {
    if (exited) break;
    try {
      const res = await fetch(readyUrl, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return { child, startupMs: performance.now() - t0, stderr: () => stderr };
    } catch {
      // not listening yet
    }
    await sleep(2);
  }
  await stop(child);
  const why = exited
    ? `exited (${exited.code ?? exited.signal})`
    : `did not answer within ${timeoutMs} ms`;
  throw new Error(`app ${why}: ${stderr.trim().split('\n').slice(-8).join('\n')}`);
}

/** Runs a command to completion: { ms, code, killed } (killed when it outlived timeoutMs). */
export async function timeToExit(node, args, { env, cwd, timeoutMs }) {
  const t0 = performance.now();
  const child = track(spawn(node, args, { cwd, env, stdio: 'ignore' }));
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const code = await new Promise((resolve) => child.once('exit', (c) => resolve(c)));
  clearTimeout(timer);
  return { ms: performance.now() - t0, code, killed };
}

/** Runs a process and resolves with the last line it printed on stdout. */
export async function runToLastLine(node, args, { env } = {}) {
  const child = track(
    spawn(node, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] }),
  );
  let last = '';
  createInterface({ input: child.stdout }).on('line', (line) => (last = line));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${args[0]} exited with ${code}`);
  return last;
}

export async function stop(child, graceMs = 3000) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export async function stopAll() {
  await Promise.all([...started].map((c) => stop(c)));
}

/** Resident set now and at its peak, in MB, from /proc/<pid>/status. */
export function memoryMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}
