import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtlpReceiver, type ReceivedSpan } from './support/otlp-receiver';
import { baseEnv, FIXTURES, killAll, startFixture, type Running } from './support/processes';

// Database, cache, broker and RPC clients against the servers running on this machine (MariaDB,
// PostgreSQL, Redis, RabbitMQ) and in-process ones (gRPC, GraphQL, a second HTTP server): each
// client call an HTTP request makes must be traced under that request's server span.

const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

const receiver = new OtlpReceiver();
let endpoint: string;
let app: Running;

beforeAll(async () => {
  endpoint = await receiver.start();
  app = await startFixture('app.cjs', {
    preload: ['-r', '@o11y/sdk/register'],
    cwd: join(FIXTURES, 'clients'),
    env: baseEnv(endpoint),
  });
});
afterAll(async () => {
  killAll();
  await receiver.stop();
});

interface Request {
  traceId: string;
  serverSpanId: string;
}

/** Calls a route of `port`; the trace id and server span id come back in `traceresponse`. */
async function call(port: number, path: string, result: unknown): Promise<Request> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  expect(await res.json()).toEqual({ result });
  const [, traceId, serverSpanId] = res.headers.get('traceresponse')!.split('-');
  return { traceId: traceId!, serverSpanId: serverSpanId! };
}

/** Waits for the span of `scope` named `name` (and of `kind`, if given) in the request's trace. */
function spanOf(req: Request, scope: string, name: string, kind?: number): Promise<ReceivedSpan> {
  return receiver.waitFor(`${name} (${scope}) in trace ${req.traceId}`, () =>
    receiver.spans.find(
      (s) =>
        s.traceId === req.traceId &&
        s.scope === scope &&
        s.name === name &&
        (kind === undefined || s.kind === kind),
    ),
  );
}

/** A client span directly under the request's server span. */
async function clientSpan(req: Request, scope: string, name: string): Promise<ReceivedSpan> {
  const span = await spanOf(req, `@opentelemetry/instrumentation-${scope}`, name, CLIENT);
  expect(span.parentSpanId).toBe(req.serverSpanId);
  return span;
}

describe('database clients: a query made while serving a request is a client span under its server span', () => {
  it('mysql2', async () => {
    const req = await call(app.port, '/mysql2', 2);
    const span = await clientSpan(req, 'mysql2', 'SELECT');
    expect(span.attributes).toMatchObject({
      'db.system.name': 'mysql',
      'db.namespace': 'test',
      'db.query.text': 'SELECT 1 + 1 AS two',
      'server.port': 3306,
    });
  });

  it('mysql', async () => {
    const req = await call(app.port, '/mysql', 4);
    const span = await clientSpan(req, 'mysql', 'SELECT');
    expect(span.attributes).toMatchObject({
      'db.system.name': 'mysql',
      'db.namespace': 'test',
      'db.query.text': 'SELECT 2 + 2 AS four',
    });
  });

  it('pg', async () => {
    const req = await call(app.port, '/pg', 3);
    const span = await clientSpan(req, 'pg', 'pg.query:SELECT postgres');
    expect(span.attributes).toMatchObject({
      'db.system.name': 'postgresql',
      'db.namespace': 'postgres',
      'db.query.text': 'SELECT 3 AS three',
      'server.port': 5432,
    });
  });

  it('node-redis 5: one span per command', async () => {
    const req = await call(app.port, '/redis', 'v5');
    const set = await clientSpan(req, 'redis', 'redis-SET');
    const get = await clientSpan(req, 'redis', 'redis-GET');
    expect(set.attributes).toMatchObject({ 'db.system.name': 'redis', 'db.operation.name': 'SET' });
    // Values are not exported, only the key.
    expect(set.attributes['db.query.text']).toBe('SET o11y:clients-fixture [1 other arguments]');
    expect(get.attributes).toMatchObject({ 'db.operation.name': 'GET', 'server.port': 6379 });
  });

  it('node-redis 4 (its own fixture folder)', async () => {
    const app4 = await startFixture('app.cjs', {
      preload: ['-r', '@o11y/sdk/register'],
      cwd: join(FIXTURES, 'redis4'),
      env: baseEnv(endpoint),
    });
    const req = await call(app4.port, '/redis', 'v4');
    const set = await clientSpan(req, 'redis', 'redis-SET');
    expect(set.attributes).toMatchObject({ 'db.system.name': 'redis', 'db.operation.name': 'SET' });
    await clientSpan(req, 'redis', 'redis-GET');
    await app4.stop();
  });

  it('node-redis 5: a client connected while serving a request traces its connect there', async () => {
    const req = await call(app.port, '/redis-connect', 'PONG');
    await clientSpan(req, 'redis', 'redis-connect');
    await clientSpan(req, 'redis', 'redis-PING');
  });

  it('clients connected at startup leave no trace of their own', async () => {
    // Spans end in order: once this request's query span is here, the startup ones would be.
    await clientSpan(await call(app.port, '/pg', 3), 'pg', 'pg.query:SELECT postgres');
    // Every database span belongs to a request: upstream's agent also exports root `pg.connect`
    // and `redis-connect` spans for the connections the app opened at startup.
    const roots = receiver.spans.filter(
      (s) => /instrumentation-(pg|mysql2?|redis)$/.test(s.scope) && s.parentSpanId === '',
    );
    expect(roots.map((s) => s.name)).toEqual([]);
  });
});

describe('brokers and RPC', () => {
  it('amqplib: a publish span under the server span, the consumer span under the publish', async () => {
    const req = await call(app.port, '/amqp', '1');
    const publish = await spanOf(
      req,
      '@opentelemetry/instrumentation-amqplib',
      'publish <default>',
    );
    expect(publish.kind).toBe(PRODUCER);
    expect(publish.parentSpanId).toBe(req.serverSpanId);
    expect(publish.attributes).toMatchObject({ 'messaging.system': 'rabbitmq' });
    // The broker URL is exported without its password.
    expect(publish.attributes['messaging.url']).toBe('amqp://guest:***@127.0.0.1:5672');
    const consume = await receiver.waitFor('the consumer span', () =>
      receiver.spans.find((s) => s.traceId === req.traceId && s.kind === CONSUMER),
    );
    expect(consume.name).toMatch(/^o11y-clients-\d+ process$/);
    expect(consume.parentSpanId).toBe(publish.spanId);
  });

  it('@grpc/grpc-js: the client span under the server span, the gRPC server span under it', async () => {
    const req = await call(app.port, '/grpc', 'hello o11y');
    const name = 'grpc.hello.Greeter/SayHello';
    const client = await clientSpan(req, 'grpc', name);
    expect(client.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'hello.Greeter',
      'rpc.method': 'SayHello',
      'rpc.grpc.status_code': 0,
    });
    const server = await spanOf(req, '@opentelemetry/instrumentation-grpc', name, SERVER);
    expect(server.parentSpanId).toBe(client.spanId);
  });

  it('graphql: the operation span under the server span, the resolver under the operation', async () => {
    const req = await call(app.port, '/graphql', 'hello o11y');
    const scope = '@opentelemetry/instrumentation-graphql';
    const operation = await spanOf(req, scope, 'query');
    expect(operation.parentSpanId).toBe(req.serverSpanId);
    // Argument values are masked in the exported source.
    expect(operation.attributes).toMatchObject({
      'graphql.operation.type': 'query',
      'graphql.source': '{ hello(name: "*") }',
    });
    const resolver = await spanOf(req, scope, 'graphql.resolve hello');
    expect(resolver.parentSpanId).toBe(operation.spanId);
  });
});

describe('HTTP client libraries: the SDK’s own client span, under the server span', () => {
  for (const library of ['axios', 'got']) {
    it(library, async () => {
      const req = await call(app.port, `/${library}`, 'pong');
      const client = await receiver.waitFor(`the ${library} client span`, () =>
        receiver.spans.find((s) => s.traceId === req.traceId && s.kind === CLIENT),
      );
      expect(client.scope).toBe('@o11y/sdk');
      expect(client.parentSpanId).toBe(req.serverSpanId);
      expect(client.attributes['url.full']).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ping$/);
      expect(client.attributes['http.response.status_code']).toBe(200);
      // The other server continued the trace: its server span is under the client span.
      const other = await receiver.waitFor('the called server span', () =>
        receiver.spans.find((s) => s.traceId === req.traceId && s.parentSpanId === client.spanId),
      );
      expect(other.kind).toBe(SERVER);
    });
  }
});

// mysql2 is CommonJS: imported from ES modules, its own require() calls still go through the
// require hook, so this holds with or without the loader hook (O11Y_ESM_HOOK=false passes too).
// Under upstream's `--import` register the same app gets a root SELECT span and no server span.
describe('an ES module app', () => {
  it('importing mysql2/promise under --import gets its client span under the server span', async () => {
    const esm = await startFixture('mysql2.mjs', {
      preload: ['--import', '@o11y/sdk/register'],
      cwd: join(FIXTURES, 'clients'),
      env: baseEnv(endpoint),
    });
    const req = await call(esm.port, '/mysql2', 5);
    const span = await clientSpan(req, 'mysql2', 'SELECT');
    expect(span.attributes).toMatchObject({
      'db.system.name': 'mysql',
      'db.query.text': 'SELECT 5 AS five',
    });
    await esm.stop();
  });
});
