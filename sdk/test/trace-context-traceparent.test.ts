import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, startFixture, type Running } from './support/processes';
import {
  CLIENTS,
  SERVICE_ENV,
  TraceContextHarness,
  traceparentOf,
  type Headers,
} from './support/trace-context-harness';

// The traceparent cases of the W3C Trace Context Level 2 test suite (w3c/trace-context
// test/test.py, SPEC_LEVEL=2 STRICT_LEVEL=2), written anew: an express service started with the
// SDK's one line forwards each instruction with fetch and with http.request, and the callback it
// makes must carry the traceparent the spec asks for.

const ID = '12345678901234567890123456789012';
const PARENT = '1234567890123456';
const tp = (v: string): Headers => [['traceparent', v]];

describe.each(CLIENTS)('W3C traceparent, forwarded with %s', (client) => {
  const harness = new TraceContextHarness();
  let service: Running;
  let url: string;

  beforeAll(async () => {
    await harness.start();
    service = await startFixture('trace-context/service.cjs', { env: SERVICE_ENV });
    url = `http://127.0.0.1:${service.port}/${client}`;
  });
  afterAll(async () => {
    killAll();
    await harness.stop();
  });

  /** The traceparent of the single callback the service makes for a request with `headers`. */
  const forward = async (headers: Headers) => traceparentOf((await harness.send(url, headers))[0]!);
  /** Each value must be ignored: the callback starts a new trace. */
  const restarts = async (...values: string[]) => {
    for (const v of values) {
      const got = await forward(tp(v));
      expect(got.traceId, v).not.toBe(ID);
      expect(got.traceId, v).not.toBe(v.slice(3, 35));
    }
  };
  /** Each value must be continued: same trace id, a new parent id. */
  const continues = async (...headers: Headers[]) => {
    for (const h of headers) {
      const got = await forward(h);
      expect(got.traceId, JSON.stringify(h)).toBe(ID);
      expect(got.parentId, JSON.stringify(h)).not.toBe(PARENT);
    }
  };

  it('both traceparent and tracestate missing: a valid new traceparent', async () => {
    expect((await forward([])).traceId).toMatch(/^[0-9a-f]{32}$/);
  });
  it('traceparent included, tracestate missing: same trace id, new parent id', async () => {
    await continues(tp(`00-${ID}-${PARENT}-01`));
  });
  it('traceparent duplicated: a new trace id, neither of the two', async () => {
    const got = await forward([
      ['traceparent', `00-${ID.slice(0, 31)}1-${PARENT}-01`],
      ['traceparent', `00-${ID}-${PARENT}-01`],
    ]);
    expect(got.traceId).not.toBe(`${ID.slice(0, 31)}1`);
    expect(got.traceId).not.toBe(ID);
  });
  it('traceparent header name: trace-parent and trace.parent are ignored', async () => {
    for (const name of ['trace-parent', 'trace.parent'])
      expect((await forward([[name, `00-${ID}-${PARENT}-01`]])).traceId).not.toBe(ID);
  });
  it('traceparent header name in any casing is read', async () => {
    await continues(
      ...['TraceParent', 'TrAcEpArEnT', 'TRACEPARENT'].map((n): Headers => [
        [n, `00-${ID}-${PARENT}-01`],
      ]),
    );
  });
  it('version 00 with trailing characters is invalid', async () => {
    await restarts(`00-${ID}-${PARENT}-01.`, `00-${ID}-${PARENT}-01-what-the-future-will-be-like`);
  });
  it('future version 0xcc is read as far as version 00 goes', async () => {
    await continues(
      tp(`cc-${ID}-${PARENT}-01`),
      tp(`cc-${ID}-${PARENT}-01-what-the-future-will-be-like`),
    );
    await restarts(`cc-${ID}-${PARENT}-01.what-the-future-will-be-like`);
  });
  it('version 0xff is forbidden', async () => {
    await restarts(`ff-${ID}-${PARENT}-01`);
  });
  it('version with illegal characters', async () => {
    await restarts(`.0-${ID}-${PARENT}-01`, `0.-${ID}-${PARENT}-01`);
  });
  it('version too long', async () => {
    await restarts(`000-${ID}-${PARENT}-01`, `0000-${ID}-${PARENT}-01`);
  });
  it('version too short', async () => {
    await restarts(`0-${ID}-${PARENT}-01`);
  });
  it('trace id all zero', async () => {
    const got = await forward(tp(`00-${'0'.repeat(32)}-${PARENT}-01`));
    expect(got.traceId).not.toBe('0'.repeat(32));
  });
  it('trace id with illegal characters', async () => {
    await restarts(`00-.${ID.slice(1)}-${PARENT}-01`, `00-${ID.slice(0, 31)}.-${PARENT}-01`);
  });
  it('trace id too long', async () => {
    const got = await forward(tp(`00-${ID}3-${PARENT}-01`));
    for (const id of [ID, `${ID.slice(1)}3`]) expect(got.traceId).not.toBe(id);
  });
  it('trace id too short', async () => {
    await restarts(`00-${ID.slice(0, 31)}-${PARENT}-01`);
  });
  it('parent id all zero', async () => {
    await restarts(`00-${ID}-${'0'.repeat(16)}-01`);
  });
  it('parent id with illegal characters', async () => {
    await restarts(`00-${ID}-.${PARENT.slice(1)}-01`, `00-${ID}-${PARENT.slice(0, 15)}.-01`);
  });
  it('parent id too long', async () => {
    await restarts(`00-${ID}-${PARENT}7-01`);
  });
  it('parent id too short', async () => {
    await restarts(`00-${ID}-${PARENT.slice(0, 15)}-01`);
  });
  it('trace flags with illegal characters', async () => {
    await restarts(`00-${ID}-${PARENT}-.0`, `00-${ID}-${PARENT}-0.`);
  });
  it('trace flags too long', async () => {
    await restarts(`00-${ID}-${PARENT}-001`);
  });
  it('trace flags too short', async () => {
    await restarts(`00-${ID}-${PARENT}-1`);
  });
  it('traceparent with leading and trailing OWS is read', async () => {
    const v = `00-${ID}-${PARENT}-01`;
    await continues(...[` ${v}`, `\t${v}`, `${v} `, `${v}\t`, `\t ${v} \t`].map(tp));
  });

  it('multiple callbacks with a valid traceparent: one trace id, a parent id each', async () => {
    const got = (await harness.send(url, tp(`00-${ID}-${PARENT}-01`), 3)).map(traceparentOf);
    expect(new Set(got.map((t) => t.traceId))).toEqual(new Set([ID]));
    expect(new Set(got.map((t) => t.parentId)).size).toBe(3);
  });
  it('multiple callbacks without traceparent: a parent id each', async () => {
    const got = (await harness.send(url, [], 3)).map(traceparentOf);
    expect(new Set(got.map((t) => t.parentId)).size).toBe(3);
  });
  it('multiple callbacks with an illegal traceparent: new trace ids, a parent id each', async () => {
    const got = (await harness.send(url, tp(`00-${'0'.repeat(32)}-${PARENT}-01`), 3)).map(
      traceparentOf,
    );
    expect(got.map((t) => t.traceId)).not.toContain('0'.repeat(32));
    expect(new Set(got.map((t) => t.parentId)).size).toBe(3);
  });

  it('level 2: the random trace id flag (0x02) of the parent is kept', async () => {
    const got = await forward(tp(`00-${ID}-${PARENT}-02`));
    expect(got.traceId).toBe(ID);
    expect(got.parentId).not.toBe(PARENT);
    expect(got.flags & 0x02, 'random flag').toBe(0x02);
    // Not sampled upstream, so not sampled here either (parent-based sampling).
    expect(got.flags & 0x01, 'sampled flag').toBe(0);
  });
});
