import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeOfficial } from './support/official-protos';
import { attributes, OtlpCapture, type KeyValue } from './support/otlp-capture';
import { baseEnv, killAll, scrape, startFixture } from './support/processes';

// One resource for every signal, and nothing in it (or in the metric labels) that nobody set.

const SDK_DIST = join(__dirname, '..', 'dist');

let capture: OtlpCapture;
let endpoint: string;
let dir: string;
beforeAll(async () => {
  capture = new OtlpCapture();
  endpoint = await capture.start();
  // An app with no package.json anywhere above it: nothing names its version.
  dir = mkdtempSync(join(tmpdir(), 'o11y-resource-'));
  writeFileSync(
    join(dir, 'app.cjs'),
    `const http = require('node:http');
const sdk = require(${JSON.stringify(join(SDK_DIST, 'index.js'))});
const server = http.createServer((req, res) => {
  sdk.logger.info({ '': 'no key', nested: { '': 1, kept: 2 }, big: 2 ** 60, exact: 9007199254740993n, n: 3 }, 'handled');
  res.end('ok');
});
server.listen(0, '127.0.0.1', async () => {
  await sdk.ready();
  process.stdout.write('READY ' + JSON.stringify({ port: server.address().port, metricsPort: sdk.metricsPort() }) + '\\n');
});
`,
  );
});
afterEach(() => {
  killAll();
  capture.requests.length = 0;
});
afterAll(async () => {
  await capture.stop();
  rmSync(dir, { recursive: true, force: true });
});

interface Resourced {
  resource?: { attributes?: KeyValue[] };
}

function resources(signal: 'traces' | 'logs' | 'metrics'): Record<string, unknown>[] {
  const key = { traces: 'resourceSpans', logs: 'resourceLogs', metrics: 'resourceMetrics' }[signal];
  return capture
    .to(`/v1/${signal}`)
    .flatMap((r) => (decodeOfficial(signal, r.body)[key] as Resourced[] | undefined) ?? [])
    .map((x) => attributes(x.resource?.attributes));
}

function logRecords(): { body?: { stringValue?: string }; attributes?: KeyValue[] }[] {
  return capture.to('/v1/logs').flatMap((r) => {
    const d = decodeOfficial('logs', r.body) as {
      resourceLogs?: { scopeLogs?: { logRecords?: never[] }[] }[];
    };
    return (d.resourceLogs ?? []).flatMap((rl) =>
      (rl.scopeLogs ?? []).flatMap((sl) => sl.logRecords ?? []),
    );
  });
}

const ALL_SIGNALS = {
  OTEL_METRICS_EXPORTER: 'prometheus,otlp',
  OTEL_METRIC_EXPORT_INTERVAL: '300',
};

describe('resource', () => {
  it('is the same for traces, logs and pushed metrics, telemetry.sdk.* included', async () => {
    const app = await startFixture('service.cjs', {
      env: { ...baseEnv(endpoint), ...ALL_SIGNALS },
    });
    await fetch(`http://127.0.0.1:${app.port}/api/v1/orders/9`).then((r) => r.text());
    await expect
      .poll(
        () =>
          [resources('traces').length, resources('logs').length, resources('metrics').length].every(
            (n) => n > 0,
          ),
        {
          timeout: 10_000,
        },
      )
      .toBe(true);
    const traces = resources('traces')[0]!;
    expect(traces).toMatchObject({
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.name': 'opentelemetry',
      'service.name': expect.any(String) as unknown,
      'service.instance.id': expect.any(String) as unknown,
    });
    expect(traces['telemetry.sdk.version']).toEqual(expect.any(String));
    for (const r of resources('logs')) expect(r).toEqual(traces);
    for (const r of resources('metrics')) expect(r).toEqual(traces);
  });

  it('has no service.version or deployment.environment.name when nothing sets them, in spans, logs and metric labels', async () => {
    const app = await startFixture(join(dir, 'app.cjs'), {
      cwd: dir,
      preload: ['-r', join(SDK_DIST, 'register.js')],
      env: { ...baseEnv(endpoint), ...ALL_SIGNALS },
    });
    await fetch(`http://127.0.0.1:${app.port}/x`).then((r) => r.text());
    await expect
      .poll(
        () =>
          [resources('traces').length, logRecords().length, resources('metrics').length].every(
            (n) => n > 0,
          ),
        {
          timeout: 10_000,
        },
      )
      .toBe(true);
    for (const r of [...resources('traces'), ...resources('logs'), ...resources('metrics')]) {
      expect(r['service.name']).toBe('unknown_service:node');
      expect(r).not.toHaveProperty('service.version');
      expect(r).not.toHaveProperty('deployment.environment.name');
    }
    const text = await scrape(app.metricsPort);
    expect(text).toMatch(
      /http_server_request_duration_seconds_count\{service_name="unknown_service:node",/,
    );
    expect(text).not.toContain('service_version=');
    expect(text).not.toContain('deployment_environment=');

    // the log line: the empty keys left out, integers as int_value, big ones exactly
    const record = logRecords().find((l) => l.body?.stringValue === 'handled')!;
    const list = record.attributes ?? [];
    expect(list.map((a) => a.key)).not.toContain('');
    const nested = list.find((a) => a.key === 'nested')!.value!.kvlistValue as {
      values: KeyValue[];
    };
    expect(nested.values.map((a) => a.key)).toEqual(['kept']);
    // as the line says them: a Number's shortest decimal form, a BigInt's exact digits
    const value = (key: string) => list.find((a) => a.key === key)!.value;
    expect(value('big')).toMatchObject({ intValue: '1152921504606847000' });
    expect(value('exact')).toMatchObject({ intValue: '9007199254740993' });
    expect(value('n')).toMatchObject({ intValue: '3' });
  });

  it('takes them from the variables when set, NODE_ENV included', async () => {
    const app = await startFixture(join(dir, 'app.cjs'), {
      cwd: dir,
      preload: ['-r', join(SDK_DIST, 'register.js')],
      env: {
        ...baseEnv(endpoint),
        OTEL_RESOURCE_ATTRIBUTES: 'service.version=2.0.1',
        NODE_ENV: 'staging',
      },
    });
    await fetch(`http://127.0.0.1:${app.port}/x`).then((r) => r.text());
    await expect.poll(() => resources('traces').length, { timeout: 10_000 }).toBeGreaterThan(0);
    expect(resources('traces')[0]).toMatchObject({
      'service.version': '2.0.1',
      'deployment.environment.name': 'staging',
    });
    expect(await scrape(app.metricsPort)).toContain(
      'service_version="2.0.1",deployment_environment="staging"',
    );
  });
});
