import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

export const FIXTURES = join(__dirname, '..', 'fixtures');

/** A fixture process started with the SDK's one line. */
export interface Running {
  child: ChildProcess;
  port: number;
  metricsPort: number;
  stdout: () => string;
  stderr: () => string;
  /** JSON lines the process wrote to stdout. */
  lines: () => Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
  stop: () => Promise<void>;
}

const all = new Set<ChildProcess>();

/** Kills whatever a test left running. */
export function killAll(): void {
  for (const c of all) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  all.clear();
}

export interface StartOptions {
  /** Preload flags, e.g. ['--import', '@o11y/sdk/register']. */
  preload?: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Resolve at once instead of waiting for the READY line (for scripts that exit by themselves). */
  noReady?: boolean;
  args?: string[];
}

/** Environment every fixture gets: quick batches, an ephemeral metrics port. */
export function baseEnv(endpoint: string): Record<string, string> {
  return {
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_EXPORTER_PROMETHEUS_PORT: '0',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_BLRP_SCHEDULE_DELAY: '100',
  };
}

/** This process's environment without the runner's own settings, which must not leak into an app. */
export function cleanEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.VITEST;
  delete env.NODE_ENV;
  for (const k of Object.keys(env)) if (k.startsWith('VITEST_')) delete env[k];
  return env;
}

/** Starts `node <preload> <script>` and waits for the fixture's `READY {json}` line. */
export function startFixture(script: string, opts: StartOptions = {}): Promise<Running> {
  const started = Date.now();
  const env = { ...cleanEnv(), ...opts.env };
  const child = spawn(
    process.execPath,
    [...(opts.preload ?? ['--import', '@o11y/sdk/register']), script, ...(opts.args ?? [])],
    {
      cwd: opts.cwd ?? FIXTURES,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  all.add(child);
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>(
    (resolveExit) =>
      child.on('exit', (code, signal) => {
        all.delete(child);
        resolveExit({ code, signal, ms: Date.now() - started });
      }),
  );
  const lines = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const running = (port: number, metricsPort: number): Running => ({
    child,
    port,
    metricsPort,
    stdout: () => out,
    stderr: () => err,
    lines,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  });
  if (opts.noReady) return Promise.resolve(running(0, 0));
  return new Promise((resolveReady, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`fixture ${script} not ready in 30 s; stderr: ${err}`)),
      30_000,
    );
    const onData = () => {
      const m = /^READY (\{.*\})$/m.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout.off('data', onData);
      const info = JSON.parse(m[1]!) as { port: number; metricsPort?: number };
      resolveReady(running(info.port, info.metricsPort ?? 0));
    };
    child.stdout.on('data', onData);
    void exited.then((e) => {
      clearTimeout(timer);
      reject(
        new Error(
          `fixture ${script} exited (${e.code ?? e.signal}) before READY; stderr: ${err}; stdout: ${out}`,
        ),
      );
    });
  });
}

/** Fetches the fixture's Prometheus endpoint in OpenMetrics format. */
export async function scrape(metricsPort: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, {
    headers: { accept: 'application/openmetrics-text' },
  });
  return res.text();
}

/** A local port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}
