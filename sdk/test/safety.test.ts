import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from './support/otlp-receiver';
import { baseEnv, cleanEnv, FIXTURES, killAll, startFixture } from './support/processes';

const receiver = new OtlpReceiver();
let endpoint: string;
beforeAll(async () => {
  endpoint = await receiver.start();
});
afterAll(async () => {
  killAll();
  await receiver.stop();
});

function warnings(stderr: string): string[] {
  return stderr.split('\n').filter((l) => l.startsWith('[@o11y/sdk] warning:'));
}

describe('start-up safety', () => {
  it('a bad environment value gives one warning naming the variable and the value used instead', async () => {
    const app = await startFixture('signals.cjs', {
      env: {
        ...baseEnv(endpoint),
        OTEL_TRACES_SAMPLER: 'sometimes',
        OTEL_TRACES_SAMPLER_ARG: 'abc',
        OTEL_EXPORTER_PROMETHEUS_PORT: '-1',
        OTEL_BSP_MAX_QUEUE_SIZE: 'lots',
        OTEL_SERVICE_NAME: 'bad-env',
      },
    });
    expect((await fetch(`http://127.0.0.1:${app.port}/`)).status).toBe(200);
    // 9464 may be taken on this machine: a failed listen is its own (fifth) warning then.
    const w = warnings(app.stderr()).filter((l) => !l.includes('metrics server could not listen'));
    expect(w).toHaveLength(4);
    expect(w).toContain(
      '[@o11y/sdk] warning: OTEL_TRACES_SAMPLER="sometimes" is invalid (supported: always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio); using parentbased_always_on instead',
    );
    expect(w.find((l) => l.includes('OTEL_TRACES_SAMPLER_ARG="abc"'))).toContain('using 1 instead');
    expect(w.find((l) => l.includes('OTEL_EXPORTER_PROMETHEUS_PORT="-1"'))).toContain(
      'using 9464 instead',
    );
    expect(w.find((l) => l.includes('OTEL_BSP_MAX_QUEUE_SIZE="lots"'))).toContain(
      'using 2048 instead',
    );
    await app.stop();
  });

  it('a second start is a no-op with one warning naming both call sites', async () => {
    const app = await startFixture('double-start.cjs', {
      preload: ['-r', '@o11y/sdk/register'],
      env: { ...baseEnv(endpoint), OTEL_SERVICE_NAME: 'first' },
    });
    const w = warnings(app.stderr());
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(
      /start\(\) called again at .*double-start\.cjs:\d+:\d+.*already started at @o11y\/sdk\/register/,
    );
    const res = await fetch(`http://127.0.0.1:${app.port}/`);
    const traceId = res.headers.get('traceresponse')!.split('-')[1];
    const span = await receiver.waitFor('span', () =>
      receiver.spans.find((s) => s.traceId === traceId),
    );
    expect(span.resource['service.name']).toBe('first');
    await app.stop();
  });

  it('OTEL_SDK_DISABLED=true: nothing exported, the logger still writes stdout', async () => {
    const before = receiver.requests;
    const run = await startFixture('script.cjs', {
      noReady: true,
      env: { ...baseEnv(endpoint), OTEL_SDK_DISABLED: 'true' },
    });
    const exit = await run.exited;
    expect(exit.code).toBe(0);
    expect(run.lines().find((l) => l.msg === 'job done')).toBeDefined();
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.requests).toBe(before);
    expect(warnings(run.stderr())).toEqual([]);
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL=http/json sends JSON', async () => {
    const json = new OtlpReceiver();
    const url = await json.start();
    try {
      const run = await startFixture('script.cjs', {
        noReady: true,
        env: {
          ...baseEnv(url),
          OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
          OTEL_SERVICE_NAME: 'json',
        },
      });
      await run.exited;
      expect([...json.contentTypes].every((t) => t.startsWith('application/json'))).toBe(true);
      const span = json.spans.find((s) => s.name === 'batch job');
      expect(span?.resource['service.name']).toBe('json');
      expect(json.logs.find((l) => l.body === 'job done')?.traceId).toBe(span?.traceId);
    } finally {
      await json.stop();
    }
  });
});

describe('stdout', () => {
  it('a stdout nobody reads never stalls the app, and no line is lost once it is read again', async () => {
    // Not startFixture: that reads stdout at once, and here nobody may until the end.
    const child = spawn(
      process.execPath,
      ['--import', '@o11y/sdk/register', join(FIXTURES, 'stdout-flood.cjs')],
      {
        cwd: FIXTURES,
        env: { ...cleanEnv(), ...baseEnv(endpoint) },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      child.stdout.pause();
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      await expect.poll(() => /^READY /m.test(err), { timeout: 20_000 }).toBe(true);
      const { port } = JSON.parse(/^READY (.*)$/m.exec(err)![1]!) as { port: number };

      // About 1 MB of lines against a pipe that holds 64 KB.
      const flood = await fetch(`http://127.0.0.1:${port}/flood`, {
        signal: AbortSignal.timeout(5000),
      });
      expect(flood.status).toBe(200);
      const ping = await fetch(`http://127.0.0.1:${port}/ping`, {
        signal: AbortSignal.timeout(2000),
      });
      expect(await ping.text()).toBe('ok');

      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stdout.resume();
      await expect
        .poll(() => out.split('\n').filter((l) => l.includes('"msg":"flood"')).length, {
          timeout: 10_000,
        })
        .toBe(1000);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
