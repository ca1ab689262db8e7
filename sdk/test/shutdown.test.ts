import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from './support/otlp-receiver';
import { baseEnv, killAll, scrape, startFixture } from './support/processes';

const receiver = new OtlpReceiver();
let endpoint: string;
beforeAll(async () => {
  endpoint = await receiver.start();
});
afterAll(async () => {
  killAll();
  await receiver.stop();
});

/** A port nothing listens on: the collector is down. */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

function warnings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('[@o11y/sdk] warning:'));
}

describe('shutdown and exit', () => {
  it('with the collector down, requests succeed, one rate-limited warning, no unhandled rejection, a bounded queue', async () => {
    const port = await deadPort();
    const app = await startFixture('signals.cjs', {
      env: {
        ...baseEnv(`http://127.0.0.1:${port}`),
        OTEL_BSP_MAX_QUEUE_SIZE: '20',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '10',
        OTEL_BSP_SCHEDULE_DELAY: '50',
        OTEL_EXPORTER_OTLP_TIMEOUT: '500',
      },
    });
    const started = Date.now();
    // 50 spans at once overflow a queue of 20 deterministically; the 200 requests after it
    // may or may not, depending on how fast the refused exports fail.
    expect((await fetch(`http://127.0.0.1:${app.port}/burst`)).status).toBe(200);
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () =>
        fetch(`http://127.0.0.1:${app.port}/`).then((r) => r.status),
      ),
    );
    expect(statuses.every((s) => s === 200)).toBe(true);
    // Generous: this asserts no stall (e.g. waiting on the dead collector), not a benchmark.
    expect(Date.now() - started).toBeLessThan(30_000);
    const failures = async () =>
      Number(
        /^o11y_sdk_export_failures_total\{[^}]*signal="traces"[^}]*\} (\d+)/m.exec(
          await scrape(app.metricsPort),
        )?.[1],
      );
    for (let i = 0; i < 100 && (await failures()) < 2; i++)
      await new Promise((r) => setTimeout(r, 200));
    const text = await scrape(app.metricsPort);
    const dropped = Number(/^o11y_sdk_spans_dropped_total\{[^}]*\} (\d+)/m.exec(text)?.[1]);
    expect(dropped).toBeGreaterThan(0);
    expect(await failures()).toBeGreaterThanOrEqual(2);
    // Repeated failures (traces and logs alike), one warning per signal per minute.
    const w = warnings(app.stderr());
    expect(w.filter((l) => l.includes('traces export'))).toHaveLength(1);
    expect(w.filter((l) => !l.includes(' export to '))).toEqual([]);
    expect(app.stdout()).not.toContain('UNHANDLED');
    await app.stop();
  });

  it('on SIGTERM without an app handler: flushes, then exits by the signal as it would have', async () => {
    const app = await startFixture('signals.cjs', {
      env: {
        ...baseEnv(endpoint),
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        OTEL_SERVICE_NAME: 'sigterm',
        O11Y_SHUTDOWN_TIMEOUT_MS: '10000',
      },
    });
    const res = await fetch(`http://127.0.0.1:${app.port}/lines`);
    const traceId = res.headers.get('traceresponse')!.split('-')[1];
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    expect(exit.signal).toBe('SIGTERM');
    expect(
      app.lines().filter((l) => l.msg === 'line').length,
      'every stdout line written before the signal was re-raised',
    ).toBe(2000);
    expect(
      receiver.spans.some((s) => s.traceId === traceId),
      'span flushed before exit',
    ).toBe(true);
    expect(
      receiver.logs.some((l) => l.traceId === traceId),
      'log record flushed before exit',
    ).toBe(true);
  });

  it("on SIGTERM with the app's own handler: flushes and leaves the exit to the app", async () => {
    const app = await startFixture('signals.cjs', {
      env: {
        ...baseEnv(endpoint),
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        APP_HANDLER: '1',
        O11Y_SHUTDOWN_TIMEOUT_MS: '10000',
      },
    });
    const res = await fetch(`http://127.0.0.1:${app.port}/`);
    const traceId = res.headers.get('traceresponse')!.split('-')[1];
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    expect(app.stdout()).toContain('APP HANDLER RAN');
    expect(app.stdout()).toContain('APP SHUTDOWN DONE');
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(receiver.spans.some((s) => s.traceId === traceId)).toBe(true);
  });

  it('on SIGTERM with the collector down: exits within the flush deadline', async () => {
    const port = await deadPort();
    const app = await startFixture('signals.cjs', {
      env: {
        ...baseEnv(`http://127.0.0.1:${port}`),
        OTEL_BSP_SCHEDULE_DELAY: '60000',
        O11Y_SHUTDOWN_TIMEOUT_MS: '1000',
      },
    });
    await fetch(`http://127.0.0.1:${app.port}/`);
    const sent = Date.now();
    app.child.kill('SIGTERM');
    const exit = await app.exited;
    expect(exit.signal).toBe('SIGTERM');
    expect(Date.now() - sent).toBeLessThan(3000);
  });

  it('a short script exits as soon as its work is done, its span and log line exported', async () => {
    const run = await startFixture('script.cjs', {
      noReady: true,
      env: { ...baseEnv(endpoint), OTEL_SERVICE_NAME: 'script', OTEL_BSP_SCHEDULE_DELAY: '60000' },
    });
    const exit = await run.exited;
    expect(exit.code).toBe(0);
    const span = receiver.spans.find(
      (s) => s.name === 'batch job' && s.resource['service.name'] === 'script',
    );
    expect(span).toBeDefined();
    expect(
      receiver.logs.find((l) => l.body === 'job done' && l.traceId === span?.traceId),
    ).toBeDefined();
    // It exits by itself: nothing the SDK created holds the event loop. The bound is loose because
    // it includes starting Node and the log worker thread on a possibly busy machine.
    expect(exit.ms).toBeLessThan(12_000);
  });
});
