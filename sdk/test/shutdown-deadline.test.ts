// The shutdown deadline (O11Y_SHUTDOWN_TIMEOUT_MS) holds whatever the collector does: real apps
// started with the one line, under load, exporting traces and logs to a collector that never
// answers, refuses connections, or answers too late. Times are taken from outside, from the
// signal to the process being gone.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from './support/otlp-receiver';
import {
  baseEnv,
  closedPort,
  killAll,
  scrape,
  startFixture,
  type Running,
} from './support/processes';

/** What a busy 2-core machine may add to a deadline before the process is gone. */
const MARGIN_MS = 500;

type Kind = 'black-holed' | 'refusing' | 'slow';
interface Collector {
  endpoint: string;
  close: () => Promise<void>;
}

/**
 * A collector that misbehaves: `black-holed` accepts connections and never answers, `refusing`
 * is a port nobody listens on, `slow` answers every request after 20 s.
 */
async function badCollector(kind: Kind): Promise<Collector> {
  if (kind === 'refusing') {
    const port = await closedPort();
    return { endpoint: `http://127.0.0.1:${port}`, close: () => Promise.resolve() };
  }
  const sockets = new Set<Socket>();
  const server: Server | ReturnType<typeof createServer> =
    kind === 'slow'
      ? createHttpServer((req, res) => {
          req.resume();
          setTimeout(() => res.end(), 20_000).unref();
        })
      : createServer((socket) => socket.on('error', () => undefined));
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

const collectors: Collector[] = [];
async function collector(kind: Kind): Promise<Collector> {
  const c = await badCollector(kind);
  collectors.push(c);
  return c;
}
afterEach(async () => {
  killAll();
  await Promise.all(collectors.splice(0).map((c) => c.close()));
});

/**
 * Something to export: server spans and log lines from concurrent requests, and a burst; and a
 * scrape of /metrics, whose keep-alive connection stays open as Prometheus's does.
 */
async function load(app: Running): Promise<void> {
  const base = `http://127.0.0.1:${app.port}`;
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      for (let i = 0; i < 40; i++) await fetch(`${base}/`).then((r) => r.text());
    }),
  );
  expect((await fetch(`${base}/burst`)).status).toBe(200);
  expect(await scrape(app.metricsPort)).toContain('http_server_request_duration_seconds');
}

/** Sends `signal` and returns how long the process took to be gone (it is killed after 20 s). */
async function timeToExit(
  app: Running,
  signal: NodeJS.Signals,
): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }> {
  const sent = Date.now();
  app.child.kill(signal);
  const timer = setTimeout(() => app.child.kill('SIGKILL'), 20_000);
  const exit = await app.exited;
  clearTimeout(timer);
  return { ms: Date.now() - sent, code: exit.code, signal: exit.signal };
}

function env(endpoint: string, extra: Record<string, string> = {}): Record<string, string> {
  // Both the traces and the logs endpoint point at the collector (baseEnv's base URL).
  return { ...baseEnv(endpoint), OTEL_SERVICE_NAME: 'deadline', ...extra };
}

describe('the shutdown deadline holds whatever the collector does', () => {
  it.each<Kind>(['black-holed', 'refusing', 'slow'])(
    'SIGTERM, no app handler, collector %s: gone by the signal within the deadline',
    async (kind) => {
      const c = await collector(kind);
      const app = await startFixture('deadline-app.cjs', { env: env(c.endpoint) });
      await load(app);
      const exit = await timeToExit(app, 'SIGTERM');
      expect(exit.signal).toBe('SIGTERM');
      expect(exit.ms).toBeLessThan(2000 + MARGIN_MS);
    },
  );

  it('SIGINT, no app handler, collector black-holed: gone by the signal within the deadline', async () => {
    const c = await collector('black-holed');
    const app = await startFixture('deadline-app.cjs', { env: env(c.endpoint) });
    await load(app);
    const exit = await timeToExit(app, 'SIGINT');
    expect(exit.signal).toBe('SIGINT');
    expect(exit.ms).toBeLessThan(2000 + MARGIN_MS);
  });

  it.each<Kind>(['black-holed', 'refusing'])(
    'an app handler awaiting shutdown(), collector %s: it resolves within the deadline and the process ends by itself',
    async (kind) => {
      const c = await collector(kind);
      const app = await startFixture('deadline-app.cjs', {
        env: env(c.endpoint, { APP_HANDLER: 'await' }),
      });
      await load(app);
      const exit = await timeToExit(app, 'SIGTERM');
      const resolved = Number(/^SHUTDOWN RESOLVED (\d+)$/m.exec(app.stdout())?.[1]);
      expect(resolved, 'shutdown() resolved (ms after the signal)').toBeLessThanOrEqual(
        2000 + MARGIN_MS,
      );
      // Nothing the SDK left behind (a request to the collector, a retry timer, the log
      // worker) keeps the event loop alive once shutdown() has resolved.
      expect(exit).toMatchObject({ code: 0, signal: null });
      expect(exit.ms).toBeLessThan(2000 + MARGIN_MS);
    },
  );

  it('O11Y_SHUTDOWN_TIMEOUT_MS=500 is honoured with and without an app handler', async () => {
    const c = await collector('black-holed');
    const [bare, handled] = await Promise.all([
      startFixture('deadline-app.cjs', {
        env: env(c.endpoint, { O11Y_SHUTDOWN_TIMEOUT_MS: '500' }),
      }),
      startFixture('deadline-app.cjs', {
        env: env(c.endpoint, { O11Y_SHUTDOWN_TIMEOUT_MS: '500', APP_HANDLER: 'await' }),
      }),
    ]);
    await Promise.all([load(bare), load(handled)]);
    const bareExit = await timeToExit(bare, 'SIGTERM');
    expect(bareExit.signal).toBe('SIGTERM');
    expect(bareExit.ms).toBeLessThan(500 + MARGIN_MS);
    const handledExit = await timeToExit(handled, 'SIGTERM');
    const resolved = Number(/^SHUTDOWN RESOLVED (\d+)$/m.exec(handled.stdout())?.[1]);
    expect(resolved).toBeLessThanOrEqual(500 + MARGIN_MS);
    expect(handledExit).toMatchObject({ code: 0, signal: null });
    expect(handledExit.ms).toBeLessThan(500 + MARGIN_MS);
  });

  it('process.exit() right after the first lines logged is not held by the log worker', async () => {
    // pino's transport ends its worker synchronously on 'exit' when the worker is not up yet,
    // which waits for the worker's export: seconds with a collector that never answers.
    const c = await collector('black-holed');
    const app = await startFixture('deadline-app.cjs', {
      env: env(c.endpoint, { APP_HANDLER: 'exit', SILENT: '1' }),
    });
    await load(app);
    const exit = await timeToExit(app, 'SIGTERM');
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(MARGIN_MS + 500);
  });

  it('a short script exits within the deadline of its exit flush, collector black-holed', async () => {
    const c = await collector('black-holed');
    const run = await startFixture('short-script.cjs', {
      noReady: true,
      env: env(c.endpoint, { OTEL_BSP_SCHEDULE_DELAY: '60000', O11Y_SHUTDOWN_TIMEOUT_MS: '1000' }),
    });
    const done = await new Promise<number>((resolve) => {
      const onData = () => {
        if (!run.stdout().includes('DONE\n')) return;
        run.child.stdout?.off('data', onData);
        resolve(Date.now());
      };
      run.child.stdout?.on('data', onData);
    });
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 20_000);
    const exit = await run.exited;
    clearTimeout(timer);
    expect(exit.code).toBe(0);
    expect(Date.now() - done).toBeLessThan(1000 + MARGIN_MS);
  });
});

describe('with a healthy collector nothing is lost', () => {
  const receiver = new OtlpReceiver();
  let endpoint: string;
  beforeAll(async () => {
    endpoint = await receiver.start();
  });
  afterAll(async () => {
    killAll();
    await receiver.stop();
  });

  it('an app awaiting shutdown() on SIGTERM has every span and line from before the signal exported', async () => {
    const app = await startFixture('deadline-app.cjs', {
      env: env(endpoint, {
        APP_HANDLER: 'await',
        OTEL_SERVICE_NAME: 'deadline-healthy',
        // Nothing leaves before the signal: what arrives is the shutdown's flush.
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        OTEL_BLRP_SCHEDULE_DELAY: '60000',
      }),
    });
    expect((await fetch(`http://127.0.0.1:${app.port}/burst`)).status).toBe(200);
    const exit = await timeToExit(app, 'SIGTERM');
    expect(exit).toMatchObject({ code: 0, signal: null });
    const mine = (r: { resource: Record<string, unknown> }) =>
      r.resource['service.name'] === 'deadline-healthy';
    expect(receiver.spans.filter((s) => mine(s) && s.name.startsWith('burst ')).length).toBe(2000);
    expect(receiver.logs.filter((l) => mine(l) && l.body === 'burst line').length).toBe(2000);
  });
});
