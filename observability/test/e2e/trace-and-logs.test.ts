// (1) one order's trace is complete in Jaeger; (2) its logs from several services are in
// VictoriaLogs under the same trace id.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  attr,
  eventually,
  jaegerTrace,
  logsQuery,
  newSession,
  placeOrder,
  productInStock,
  type TraceSpan,
} from './backends.js';

const SERVER = [2, 'SPAN_KIND_SERVER'];
const REQUIRED_SERVICES = ['gateway', 'orders', 'inventory', 'payments', 'shipping'];
let traceId = '';
let spans: TraceSpan[] = [];

beforeAll(async () => {
  const session = await newSession();
  const order = await placeOrder(session, await productInStock(session));
  expect(order.status, JSON.stringify(order.body)).toBe(201);
  traceId = order.traceId;
  // Shipping joins the trace asynchronously (order.confirmed over RabbitMQ); spans arrive in
  // batches every few seconds.
  spans = await eventually(
    `trace ${traceId} with spans of ${REQUIRED_SERVICES.join(', ')}`,
    async () => {
      const s = await jaegerTrace(traceId);
      const services = new Set(s?.map((x) => x.service));
      return s && REQUIRED_SERVICES.every((r) => services.has(r)) ? s : undefined;
    },
    90_000,
    2000,
  );
  // Give late spans of the same trace one more flush.
  await new Promise((r) => setTimeout(r, 6000));
  spans = (await jaegerTrace(traceId)) ?? spans;
});

describe('one order, end to end', () => {
  it('has spans from gateway, orders, inventory, payments and shipping', () => {
    const services = new Set(spans.map((s) => s.service));
    for (const s of REQUIRED_SERVICES)
      expect(services, `services in trace: ${[...services].join(', ')}`).toContain(s);
  });

  it('includes PostgreSQL and RabbitMQ spans', () => {
    const db = spans.filter(
      (s) => (attr(s, 'db.system') ?? attr(s, 'db.system.name')) === 'postgresql',
    );
    const mq = spans.filter((s) => attr(s, 'messaging.system') === 'rabbitmq');
    expect(db.length, 'postgresql spans').toBeGreaterThan(0);
    expect(mq.length, 'rabbitmq spans').toBeGreaterThan(0);
  });

  it('has no orphan span: every parent is in the trace', () => {
    const ids = new Set(spans.map((s) => s.spanId));
    const orphans = spans.filter((s) => s.parentSpanId && !ids.has(s.parentSpanId));
    expect(orphans.map((s) => `${s.service}: ${s.name}`)).toEqual([]);
    expect(spans.filter((s) => !s.parentSpanId)).toHaveLength(1);
  });

  it('names server spans after the route template, never the raw path', () => {
    const server = spans.filter((s) => SERVER.includes(s.kind));
    expect(server.length).toBeGreaterThanOrEqual(4);
    for (const s of server) {
      const route = attr(s, 'http.route');
      expect(route, `${s.service} server span "${s.name}" has http.route`).toBeTypeOf('string');
      expect(s.name, `${s.service} server span`).toContain(String(route));
      expect(s.name).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
    }
  });

  it('has the logs of that trace from at least 4 services in VictoriaLogs', async () => {
    const services = await eventually(
      `logs of trace ${traceId} from >= 4 services`,
      async () => {
        const rows = await logsQuery(`trace_id:="${traceId}"`);
        const names = new Set(rows.map((r) => r['service.name']));
        return names.size >= 4 ? names : undefined;
      },
      60_000,
      2000,
    );
    expect(services.size).toBeGreaterThanOrEqual(4);
  });
});
