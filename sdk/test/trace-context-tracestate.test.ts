import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAll, startFixture, type Running } from './support/processes';
import {
  CLIENTS,
  SERVICE_ENV,
  TraceContextHarness,
  traceparentOf,
  tracestateFields,
  tracestateOf,
  type Headers,
} from './support/trace-context-harness';

// The tracestate cases of the W3C Trace Context Level 2 test suite (w3c/trace-context
// test/test.py, STRICT_LEVEL=2), written anew, against the fixture service forwarding with fetch
// and with http.request. At strict level 2 a tracestate with any invalid member, or with more
// than 32 members, must not be passed on at all.

const ID = '12345678901234567890123456789012';
const TP: [string, string] = ['traceparent', `00-${ID}-1234567890123456-00`];

describe.each(CLIENTS)('W3C tracestate, forwarded with %s', (client) => {
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

  /** The tracestate the service passed on for a request with `headers`, as key -> value. */
  const forward = async (headers: Headers) => {
    const got = (await harness.send(url, headers))[0]!;
    const parent = traceparentOf(got);
    // An empty tracestate field is allowed to receive but should never be sent.
    for (const field of tracestateFields(got))
      expect(field.trim(), 'empty tracestate').not.toBe('');
    return {
      traceId: parent.traceId,
      state: tracestateOf(got),
      text: tracestateFields(got).join(','),
    };
  };
  /** The tracestate of a request with the test traceparent and these tracestate fields. */
  const withState = (...fields: string[]) =>
    forward([TP, ...fields.map((f): [string, string] => ['tracestate', f])]);

  it('tracestate without traceparent is discarded', async () => {
    const one = await forward([['tracestate', 'foo=1']]);
    const two = await forward([['tracestate', 'foo=1,bar=2']]);
    expect(one.state.size).toBe(two.state.size);
    expect(one.state.has('foo')).toBe(false);
  });
  it('tracestate with traceparent is inherited', async () => {
    const got = await withState('foo=1,bar=2');
    expect(got.traceId).toBe(ID);
    expect([...got.state]).toEqual([
      ['foo', '1'],
      ['bar', '2'],
    ]);
  });
  it('tracestate header name: trace-state and trace.state are ignored', async () => {
    for (const name of ['trace-state', 'trace.state'])
      expect((await forward([TP, [name, 'foo=1']])).state.has('foo')).toBe(false);
  });
  it('tracestate header name in any casing is read', async () => {
    for (const name of ['TraceState', 'TrAcEsTaTe', 'TRACESTATE'])
      expect((await forward([TP, [name, 'foo=1']])).state.get('foo')).toBe('1');
  });
  it('an empty tracestate field is discarded, and not sent on', async () => {
    const empty = await withState('');
    expect(empty.traceId).toBe(ID);
    expect(empty.state.size).toBe(0);
    for (const fields of [
      ['foo=1', ''],
      ['', 'foo=1'],
    ]) {
      const got = await withState(...fields);
      expect(got.traceId).toBe(ID);
      expect(got.state.get('foo')).toBe('1');
    }
  });
  it('multiple tracestate fields combine in order', async () => {
    const got = await withState('foo=1,bar=2', 'rojo=1,congo=2', 'baz=3');
    expect(got.traceId).toBe(ID);
    expect(got.text).toBe('foo=1,bar=2,rojo=1,congo=2,baz=3');
  });
  it('duplicated keys: inherited, the key kept once or as is', async () => {
    for (const [fields, allowed] of [
      [['foo=1,foo=1'], ['1']],
      [['foo=1,foo=2'], ['1', '2']],
      [['foo=1', 'foo=1'], ['1']],
      [
        ['foo=1', 'foo=2'],
        ['1', '2'],
      ],
    ] as const) {
      const got = await withState(...fields);
      expect(got.traceId).toBe(ID);
      expect(allowed).toContain(got.state.get('foo'));
    }
  });
  it('every allowed key and value character is kept', async () => {
    const letters = String.fromCharCode(...Array.from({ length: 26 }, (_, i) => 0x61 + i));
    const key = `${letters}0123456789_-*/`;
    const range = (a: number, b: number) =>
      String.fromCharCode(...Array.from({ length: b - a + 1 }, (_, i) => a + i));
    const value = range(0x20, 0x2b) + range(0x2d, 0x3c) + range(0x3e, 0x7e);
    for (const k of [key, `${key}@a-z0-9_-*/`])
      expect((await withState(`${k}=${value}`)).state.get(k)).toBe(value);
  });
  it('OWS around members is ignored', async () => {
    for (const field of ['foo=1 \t , \t bar=2, \t baz=3', 'foo=1\t \t,\t \tbar=2,\t \tbaz=3']) {
      const got = await withState(field);
      expect(Object.fromEntries(got.state)).toEqual({ foo: '1', bar: '2', baz: '3' });
    }
    for (const field of [' foo=1', '\tfoo=1', 'foo=1 ', 'foo=1\t', '\t foo=1 \t']) {
      const got = await withState(field);
      expect(got.traceId).toBe(ID);
      expect(got.state.get('foo'), JSON.stringify(field)).toBe('1');
    }
  });
  it('keys with illegal characters are not passed on', async () => {
    for (const [field, key] of [
      ['foo =1', 'foo '],
      ['FOO=1', 'FOO'],
      ['foo.bar=1', 'foo.bar'],
    ])
      expect((await withState(field!)).state.has(key!)).toBe(false);
  });
  it('at signs: allowed inside and at the end of a key, not at its start', async () => {
    for (const key of ['foo@', 'foo@@bar', 'foo@bar@baz']) {
      const got = await withState(`${key}=1,bar=2`);
      expect(got.state.get(key), key).toBe('1');
      expect(got.state.get('bar')).toBe('2');
    }
    // A key starting with `@` makes the whole header invalid.
    expect((await withState('@foo=1,bar=2')).state.has('bar')).toBe(false);
  });
  it('32 members are inherited; 33 make the header invalid', async () => {
    const members = Array.from({ length: 33 }, (_, i) => {
      const n = String(i + 1).padStart(2, '0');
      return `bar${n}=${n}`;
    });
    const split = (list: string[]) => [0, 10, 20, 30].map((i) => list.slice(i, i + 10).join(','));
    const got32 = await withState(...split(members.slice(0, 32)));
    expect(got32.state.get('bar01')).toBe('01');
    expect(got32.state.size).toBe(32);
    expect((await withState(...split(members))).state.has('bar01')).toBe(false);
  });
  it('keys of up to 256 characters are kept; a longer one makes the header invalid', async () => {
    for (const key of [
      'z'.repeat(256),
      `${'t'.repeat(241)}@${'v'.repeat(14)}`,
      `${'t'.repeat(242)}@v`,
      `t@${'v'.repeat(15)}`,
    ]) {
      const got = await withState('foo=1', `${key}=1`);
      expect(got.state.get('foo')).toBe('1');
      expect(got.state.get(key), `${key.length}-char key`).toBe('1');
    }
    expect((await withState('foo=1', `${'z'.repeat(257)}=1`)).state.has('foo')).toBe(false);
  });
  it('values with illegal characters make the header invalid', async () => {
    expect((await withState('foo=bar=baz')).state.has('foo')).toBe(false);
    const got = await withState('foo=,bar=3');
    expect(got.state.has('foo')).toBe(false);
    expect(got.state.has('bar')).toBe(false);
  });
});
