import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, startFixture, type Running } from './support/processes';
import { SERVICE_ENV, TraceContextHarness, type Headers } from './support/trace-context-harness';

// OTEL_PROPAGATORS, end to end: the fixture service (express, started with the SDK's one line)
// receives a request in one format and forwards it with fetch; the callback shows what was
// extracted and injected.

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE}-${SPAN}-01`;

const header = (headers: Headers, name: string) =>
  headers.filter(([k]) => k.toLowerCase() === name).map(([, v]) => v);

describe('OTEL_PROPAGATORS', () => {
  const harness = new TraceContextHarness();
  const services: Record<string, Running> = {};
  const settings: Record<string, string | undefined> = {
    default: undefined,
    b3: 'b3',
    b3multi: 'b3multi',
    jaeger: 'jaeger',
    none: 'none',
    both: 'tracecontext, B3MULTI,tracecontext',
    unknown: 'tracecontext,xray,nosuch',
  };

  beforeAll(async () => {
    await harness.start();
    await Promise.all(
      Object.entries(settings).map(async ([name, value]) => {
        const env: Record<string, string> = { ...SERVICE_ENV };
        if (value !== undefined) env.OTEL_PROPAGATORS = value;
        services[name] = await startFixture('trace-context/service.cjs', { env });
      }),
    );
  });
  afterAll(async () => {
    killAll();
    await harness.stop();
  });

  const forward = async (service: string, headers: Headers) =>
    (await harness.send(`http://127.0.0.1:${services[service]!.port}/fetch`, headers))[0]!;

  it('default: W3C traceparent and baggage, nothing else', async () => {
    const got = await forward('default', [
      ['traceparent', TRACEPARENT],
      ['baggage', 'tenant=acme'],
    ]);
    expect(header(got, 'traceparent')[0]).toMatch(
      new RegExp(`^00-${TRACE}-(?!${SPAN})[0-9a-f]{16}-01$`),
    );
    expect(header(got, 'baggage')).toEqual(['tenant=acme']);
    expect(header(got, 'b3')).toEqual([]);
  });

  it('b3: the single b3 header is read and written', async () => {
    const got = await forward('b3', [['b3', `${TRACE}-${SPAN}-1`]]);
    expect(header(got, 'b3')[0]).toMatch(new RegExp(`^${TRACE}-(?!${SPAN})[0-9a-f]{16}-1$`));
    expect(header(got, 'traceparent')).toEqual([]);
    expect(header(got, 'x-b3-traceid')).toEqual([]);
  });

  it('b3multi: the X-B3-* headers are read and written', async () => {
    const got = await forward('b3multi', [
      ['X-B3-TraceId', TRACE],
      ['X-B3-SpanId', SPAN],
      ['X-B3-Sampled', '1'],
    ]);
    expect(header(got, 'x-b3-traceid')).toEqual([TRACE]);
    expect(header(got, 'x-b3-spanid')[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(header(got, 'x-b3-spanid')[0]).not.toBe(SPAN);
    expect(header(got, 'x-b3-parentspanid')).toEqual([]);
    expect(header(got, 'x-b3-sampled')).toEqual(['1']);
    expect(header(got, 'b3')).toEqual([]);
  });

  it('jaeger: uber-trace-id is read and written', async () => {
    const got = await forward('jaeger', [['uber-trace-id', `${TRACE}:${SPAN}:0:1`]]);
    expect(header(got, 'uber-trace-id')[0]).toMatch(
      new RegExp(`^${TRACE}:(?!${SPAN})[0-9a-f]{16}:0:0?1$`),
    );
    expect(header(got, 'traceparent')).toEqual([]);
  });

  it('none: nothing is extracted and nothing injected', async () => {
    const got = await forward('none', [
      ['traceparent', TRACEPARENT],
      ['b3', `${TRACE}-${SPAN}-1`],
      ['baggage', 'tenant=acme'],
    ]);
    for (const name of [
      'traceparent',
      'tracestate',
      'b3',
      'x-b3-traceid',
      'uber-trace-id',
      'baggage',
    ])
      expect(header(got, name), name).toEqual([]);
    // The service's own span started a new trace rather than joining the caller's.
    const traceresponse = String(harness.response.traceresponse);
    expect(traceresponse).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$/);
    expect(traceresponse).not.toContain(TRACE);
  });

  it('a list installs each named propagator once, names case-insensitive', async () => {
    const got = await forward('both', [['traceparent', TRACEPARENT]]);
    expect(header(got, 'traceparent')).toHaveLength(1);
    expect(header(got, 'traceparent')[0]).toContain(TRACE);
    expect(header(got, 'x-b3-traceid')).toEqual([TRACE]);
    expect(header(got, 'baggage')).toEqual([]);
  });

  it('unknown names warn once each and are skipped; the known ones still work', async () => {
    for (let i = 0; i < 3; i++) {
      const got = await forward('unknown', [['traceparent', TRACEPARENT]]);
      expect(header(got, 'traceparent')[0]).toContain(TRACE);
    }
    const stderr = services.unknown!.stderr();
    for (const name of ['xray', 'nosuch'])
      expect(stderr.split(`unknown propagator "${name}"`).length - 1, name).toBe(1);
    expect(stderr).toContain('[@o11y/sdk] warning: OTEL_PROPAGATORS');
    // The valid configurations say nothing.
    expect(services.default!.stderr()).not.toContain('OTEL_PROPAGATORS');
  });
});
