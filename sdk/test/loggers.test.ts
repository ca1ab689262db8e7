import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver } from './support/otlp-receiver';
import type { Decoded } from './support/protobuf';
import { baseEnv, FIXTURES, killAll, startFixture, type Running } from './support/processes';

// The app's own loggers (winston, bunyan, pino loggers it makes, fastify's), in real processes:
// each line keeps the app's stdout format plus the trace ids, and arrives over OTLP exactly once,
// next to the SDK's own logger's lines, with the same resource and trace context.

const receiver = new OtlpReceiver();
/** What the shared receiver does not keep: each record's severity number and scope. */
type Extra = { severityNumber: number; scope: string };
const extra = new Map<object, Extra>();
let endpoint: string;

beforeAll(async () => {
  endpoint = await receiver.start();
  const r = receiver as unknown as { addLogs(req: Decoded): void };
  const addLogs = r.addLogs.bind(receiver);
  r.addLogs = (req) => {
    const before = receiver.logs.length;
    addLogs(req);
    let i = before;
    for (const rl of (req.resourceLogs as Decoded[] | undefined) ?? [])
      for (const sl of (rl.scopeLogs as Decoded[] | undefined) ?? [])
        for (const l of (sl.logRecords as Decoded[] | undefined) ?? [])
          extra.set(receiver.logs[i++]!, {
            severityNumber: Number(l.severityNumber ?? 0),
            scope: String((sl.scope as { name?: string } | undefined)?.name ?? ''),
          });
  };
});
afterAll(async () => {
  killAll();
  await receiver.stop();
});

const LOGGERS = join(FIXTURES, 'loggers');
const BATCH_SETTLE_MS = 600; // several log batch delays (100 ms): a duplicate would be here

const recordsWith = (service: string, body: string) =>
  receiver.logs.filter((l) => l.body === body && l.resource['service.name'] === service);

/** Waits until `body` has arrived, then long enough for a second copy to have arrived too. */
async function arrivedOnce(service: string, body: string) {
  await receiver.waitFor(body, () => recordsWith(service, body).length > 0);
  await new Promise((r) => setTimeout(r, BATCH_SETTLE_MS));
  const records = recordsWith(service, body);
  expect(records, `records with body ${JSON.stringify(body)}`).toHaveLength(1);
  return { ...records[0]!, ...extra.get(records[0]!)! };
}

/** GET /log: the app logger's line and the SDK's, inside one request. */
async function logInRequest(app: Running, lib: string, messageKey: string, service: string) {
  const res = await fetch(`http://127.0.0.1:${app.port}/log`);
  expect(res.status).toBe(200);
  const [, traceId, spanId] = res.headers.get('traceresponse')!.split('-');
  const body = `${lib} line in request`;

  const line = await receiver.waitFor('the stdout line', () =>
    app.lines().find((l) => l[messageKey] === body),
  );
  expect(line).toMatchObject({ trace_id: traceId, span_id: spanId, trace_flags: '01' });

  const record = await arrivedOnce(service, body);
  expect(record).toMatchObject({ traceId, spanId, severityText: 'info', severityNumber: 9 });
  expect(record.attributes.orderId).toBe(7);
  expect(record.attributes).not.toHaveProperty('trace_id');

  const sdkRecord = await arrivedOnce(service, `sdk line in ${lib} request`);
  expect(sdkRecord).toMatchObject({ traceId, spanId });
  expect(sdkRecord.resource).toEqual(record.resource);
  return record;
}

/** The line logged at startup, outside any span: shipped, without trace context. */
async function startupLine(service: string, lib: string) {
  const record = await arrivedOnce(service, `${lib} line before any request`);
  expect(record).toMatchObject({ traceId: '', spanId: '', severityText: 'info' });
  expect(record.attributes.phase).toBe('startup');
}

/** GET /levels: each level's severity number and text; lines below the logger's level stay off. */
async function levels(
  app: Running,
  service: string,
  expected: Record<string, [number, string]>,
  off: string,
) {
  expect((await fetch(`http://127.0.0.1:${app.port}/levels`)).status).toBe(200);
  for (const [body, [severityNumber, severityText]] of Object.entries(expected))
    expect(await arrivedOnce(service, body), body).toMatchObject({ severityNumber, severityText });
  expect(recordsWith(service, off)).toEqual([]);
  expect(app.stdout()).not.toContain(off);
}

function start(script: string, service: string, cwd = LOGGERS, esm = false) {
  return startFixture(script, {
    cwd,
    preload: esm ? ['--import', '@o11y/sdk/register'] : ['-r', '@o11y/sdk/register'],
    env: { ...baseEnv(endpoint), OTEL_SERVICE_NAME: service },
  });
}

describe('winston 3 (CommonJS, -r @o11y/sdk/register)', () => {
  let app: Running;
  beforeAll(async () => {
    app = await start('winston.cjs', 'winston-app');
  });

  it('a line logged in a request: trace ids on stdout, shipped once with them', async () => {
    const record = await logInRequest(app, 'winston', 'message', 'winston-app');
    expect(record.scope).toBe('winston');
    expect(record.attributes).not.toHaveProperty('level');
  });

  it('ships the line logged before any request, without trace ids', async () => {
    await startupLine('winston-app', 'winston');
  });

  it('maps npm levels to OTLP severities, and ships nothing below the logger level', async () => {
    await levels(
      app,
      'winston-app',
      {
        'winston error': [17, 'error'],
        'winston warn': [13, 'warn'],
        'winston http': [7, 'http'],
      },
      'winston debug',
    );
  });
});

describe('winston 3 (ES module, --import @o11y/sdk/register)', () => {
  it('correlates and ships each line once', async () => {
    const app = await start('winston.mjs', 'winston-esm', LOGGERS, true);
    await logInRequest(app, 'winston', 'message', 'winston-esm');
    await startupLine('winston-esm', 'winston');
    await app.stop();
  });
});

describe('bunyan 1 (CommonJS)', () => {
  let app: Running;
  beforeAll(async () => {
    app = await start('bunyan.cjs', 'bunyan-app');
  });

  it("a child logger's line in a request: trace ids on stdout, shipped once with them", async () => {
    const record = await logInRequest(app, 'bunyan', 'msg', 'bunyan-app');
    expect(record.attributes).toMatchObject({ name: 'orders', component: 'checkout' });
    for (const gone of ['v', 'hostname', 'pid', 'time', 'level'])
      expect(record.attributes).not.toHaveProperty(gone);
  });

  it('ships the line logged before any request, without trace ids', async () => {
    await startupLine('bunyan-app', 'bunyan');
  });

  it('maps numeric levels to OTLP severities', async () => {
    await levels(
      app,
      'bunyan-app',
      { 'bunyan error': [17, 'error'], 'bunyan warn': [13, 'warn'] },
      'bunyan debug',
    );
  });
});

describe('pino loggers the app makes (CommonJS)', () => {
  let app: Running;
  beforeAll(async () => {
    app = await start('pino.cjs', 'pino-app');
  });

  it("a child logger's line in a request: trace ids on stdout, shipped once with them", async () => {
    const record = await logInRequest(app, 'pino', 'msg', 'pino-app');
    expect(record.attributes).toMatchObject({ component: 'checkout' });
    expect(record.scope).toBe('pino');
  });

  it('ships the line logged before any request, without trace ids', async () => {
    await startupLine('pino-app', 'pino');
  });

  it('maps standard and custom levels, whatever the message key and level format', async () => {
    await levels(
      app,
      'pino-app',
      {
        'pino error': [17, 'error'],
        'pino warn': [13, 'warn'],
        // 35, between info (30) and warn (40): INFO3, as upstream's pino log sending maps it
        'pino audit': [11, 'audit'],
        // messageKey `text`, `"level":"warn"` on stdout: the level comes from pino, not the line
        'pino labelled warn': [13, 'warn'],
      },
      'pino debug',
    );
    const labelled = app.lines().find((l) => l.text === 'pino labelled warn');
    expect(labelled?.level).toBe('warn');
  });
});

describe('with OTEL_LOGS_EXPORTER=none', () => {
  it('the app logger keeps its trace ids on stdout and nothing is shipped', async () => {
    const app = await startFixture('winston.cjs', {
      cwd: LOGGERS,
      preload: ['-r', '@o11y/sdk/register'],
      env: { ...baseEnv(endpoint), OTEL_SERVICE_NAME: 'logs-off', OTEL_LOGS_EXPORTER: 'none' },
    });
    const res = await fetch(`http://127.0.0.1:${app.port}/log`);
    const traceId = res.headers.get('traceresponse')!.split('-')[1];
    await receiver.waitFor('the request span', () =>
      receiver.spans.some((s) => s.traceId === traceId),
    );
    const line = app.lines().find((l) => l.message === 'winston line in request');
    expect(line?.trace_id).toBe(traceId);
    await new Promise((r) => setTimeout(r, BATCH_SETTLE_MS));
    expect(receiver.logs.filter((l) => l.resource['service.name'] === 'logs-off')).toEqual([]);
    await app.stop();
  });
});

describe('pino (ES module, --import @o11y/sdk/register)', () => {
  it('correlates and ships each line once', async () => {
    const app = await start('pino.mjs', 'pino-esm', LOGGERS, true);
    await logInRequest(app, 'pino', 'msg', 'pino-esm');
    await startupLine('pino-esm', 'pino');
    await app.stop();
  });
});

describe("fastify 5's logger (pino, `logger: true`)", () => {
  it('ships the request logger lines once, with the trace context', async () => {
    const app = await start('fastify-logger.cjs', 'fastify-app', join(FIXTURES, 'frameworks'));
    const record = await logInRequest(app, 'fastify', 'msg', 'fastify-app');
    expect(record.attributes.reqId).toBeDefined();
    // fastify's own request lines, one each for this request.
    for (const body of ['incoming request', 'request completed'])
      expect(
        recordsWith('fastify-app', body).filter((l) => l.traceId === record.traceId),
      ).toHaveLength(1);
    await app.stop();
  });
});
