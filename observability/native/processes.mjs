// Child processes of the native stack: each in its own process group (so a stop also reaches
// anything it spawned), output appended to a log file, stopped with SIGTERM then SIGKILL.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * @typedef {{ name: string, pid: number, logFile: string, exited: Promise<number | null>,
 *   exitCode: () => number | null | undefined }} Managed
 */

/**
 * @param {{ name: string, command: string, args: string[], env?: NodeJS.ProcessEnv,
 *   cwd?: string, logFile: string }} spec
 * @returns {Managed}
 */
export function startProcess(spec) {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const fd = openSync(spec.logFile, 'a');
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { ...process.env, ...spec.env },
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  /** @type {number | null | undefined} */
  let code;
  const exited = new Promise((resolve) => {
    child.on('exit', (c, signal) => {
      code = c ?? (signal ? 128 : null);
      resolve(code);
    });
    child.on('error', (err) => {
      code = -1;
      console.error(`[stack] ${spec.name}: ${err.message}`);
      resolve(-1);
    });
  });
  if (child.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
  return { name: spec.name, pid: child.pid, logFile: spec.logFile, exited, exitCode: () => code };
}

/** @param {number} pid @param {NodeJS.Signals} signal */
function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Stops processes in reverse start order; SIGKILL after the grace period.
 * @param {Managed[]} procs
 * @param {number} [graceMs]
 */
export async function stopProcesses(procs, graceMs = 10_000) {
  for (const p of [...procs].reverse()) {
    if (p.exitCode() !== undefined) {
      signalGroup(p.pid, 'SIGKILL'); // the leader is gone; make sure its group is too
      continue;
    }
    signalGroup(p.pid, 'SIGTERM');
    /** @type {NodeJS.Timeout | undefined} */
    let timer;
    const killed = new Promise((resolve) => {
      timer = setTimeout(() => {
        signalGroup(p.pid, 'SIGKILL');
        resolve(undefined);
      }, graceMs);
    });
    await Promise.race([p.exited, killed]);
    clearTimeout(timer);
    signalGroup(p.pid, 'SIGKILL');
  }
}
