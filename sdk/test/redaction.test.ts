import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecrets } from '../src/logging/redaction';

describe('redactSecrets', () => {
  it('redacts secret names at the top level and one level down, and credential headers', () => {
    const fields = {
      password: 'p',
      user: {
        name: 'ada',
        accessToken: 't',
        profile: { password: 'deeper levels are not walked' },
      },
      req: { method: 'GET', headers: { Authorization: 'Bearer x', cookie: 'c', accept: '*/*' } },
      headers: { 'set-cookie': ['a=b'], host: 'h' },
      n: 1,
    };
    expect(redactSecrets(fields)).toEqual({
      password: REDACTED,
      user: {
        name: 'ada',
        accessToken: REDACTED,
        profile: { password: 'deeper levels are not walked' },
      },
      req: { method: 'GET', headers: { Authorization: REDACTED, cookie: REDACTED, accept: '*/*' } },
      headers: { 'set-cookie': REDACTED, host: 'h' },
      n: 1,
    });
  });

  it("never changes the app's objects, and returns a line without secrets as it is", () => {
    const headers = { authorization: 'Bearer x' };
    const fields = { req: { headers }, list: [{ password: 'in an array: left as is' }] };
    const out = redactSecrets(fields);
    expect(headers.authorization).toBe('Bearer x');
    expect(fields.req.headers).toBe(headers);
    expect(out.list).toBe(fields.list);
    const clean = { a: 1, b: { c: 2 } };
    expect(redactSecrets(clean)).toBe(clean);
  });

  it('leaves values that serialise themselves (errors, dates, buffers) alone', () => {
    const err = Object.assign(new Error('boom'), { password: 'x' });
    const when = new Date(0);
    const out = redactSecrets({ err, when, token: 't' });
    expect(out.err).toBe(err);
    expect(out.when).toBe(when);
    expect(out.token).toBe(REDACTED);
  });
});
