// Credentials in query strings never leave the process: their values are redacted in `url.query`
// and `url.full` on every span the SDK makes, and appear nowhere else it exports or writes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactQuery } from '../src/instrument/http/redact-query';
import { OtlpReceiver } from './support/otlp-receiver';
import { baseEnv, killAll, scrape, startFixture, type Running } from './support/processes';

const SECRET = 'S3CR3T';
const SERVER = 2;
const CLIENT = 3;

/** [name as written in the query, whether its value is redacted]. */
const PARAMS: [string, boolean][] = [
  ['page', false],
  ['token', true],
  ['access_token', true],
  ['refresh_token', true],
  ['id_token', true],
  ['api_key', true],
  ['apikey', true],
  ['api-key', true],
  ['key', true],
  ['password', true],
  ['passwd', true],
  ['pwd', true],
  ['secret', true],
  ['client_secret', true],
  ['auth', true],
  ['authorization', true],
  ['session', true],
  ['sessionid', true],
  ['sig', true],
  ['signature', true],
  ['credential', true],
  ['credentials', true],
  ['code', true],
  ['state', false],
  ['AWSAccessKeyId', true],
  ['X-Amz-Date', false],
  ['X-Amz-Signature', true],
  ['X-Amz-Credential', true],
  ['X-Amz-Security-Token', true],
  ['X-Goog-Signature', true],
  // Any case, percent-encoded names, a name given twice, a bracketed name.
  ['Access_Token', true],
  ['APIKEY', true],
  ['%74oken', true],
  ['%2574oken', true],
  ['token', true],
  ['user[password]', true],
  ['keyword', false],
  ['sort', false],
];
const value = (i: number, secret: boolean) => (secret ? `${SECRET}${i}` : `v${i}`);
const QUERY = PARAMS.map(([name, secret], i) => `${name}=${value(i, secret)}`).join('&');
const REDACTED_QUERY = PARAMS.map(
  ([name, secret], i) => `${name}=${secret ? 'REDACTED' : value(i, false)}`,
).join('&');

describe('redactQuery', () => {
  it('redacts every credential name, whatever its case, encoding or repetition', () => {
    expect(redactQuery(QUERY)).toBe(REDACTED_QUERY);
  });

  it('splits on ; too, keeps separators and odd parameters, and never throws on bad encoding', () => {
    expect(redactQuery('a=1;Sig=2;b&=c&token&pwd=x=y')).toBe(
      'a=1;Sig=REDACTED;b&=c&token&pwd=REDACTED',
    );
    expect(redactQuery('x=%E0%A4%A&%6Bey=1&user%5Bpwd%5D=2')).toBe(
      'x=%E0%A4%A&%6Bey=REDACTED&user%5Bpwd%5D=REDACTED',
    );
  });

  it('leaves names that only contain a short name alone, and returns a clean query as it is', () => {
    const clean = 'q=monkey&author=ada&design=x&encode=1&keys=2&codes=3&to=http://h/p';
    expect(redactQuery(clean)).toBe(clean);
  });
});

describe('a service started with the one line, called with credentials in its query strings', () => {
  const receiver = new OtlpReceiver();
  let app: Running;

  beforeAll(async () => {
    const endpoint = await receiver.start();
    app = await startFixture('query-secrets.cjs', {
      env: { ...baseEnv(endpoint), OTEL_SERVICE_NAME: 'query-secrets' },
    });
  });
  afterAll(async () => {
    killAll();
    await receiver.stop();
  });

  it('exports url.query and url.full redacted on server, http client and fetch client spans, and the secrets nowhere', async () => {
    const res = await fetch(`http://127.0.0.1:${app.port}/call?${QUERY}`);
    expect(await res.text()).toBe('called');
    const traceId = res.headers.get('traceresponse')!.split('-')[1];
    const spans = await receiver.waitFor('three server spans and two client spans', () => {
      const t = receiver.spans.filter((s) => s.traceId === traceId);
      return t.filter((s) => s.kind === SERVER).length >= 3 &&
        t.filter((s) => s.kind === CLIENT).length >= 2
        ? t
        : undefined;
    });
    const servers = spans.filter((s) => s.kind === SERVER);
    expect(servers.map((s) => s.attributes['url.query'])).toEqual([
      REDACTED_QUERY,
      REDACTED_QUERY,
      REDACTED_QUERY,
    ]);
    expect(servers.map((s) => s.attributes['url.path']).sort()).toEqual([
      '/call',
      '/leaf',
      '/leaf',
    ]);
    // One client span from http.get, one from fetch (undici's channels).
    const clients = spans.filter((s) => s.kind === CLIENT);
    expect(clients.map((s) => s.attributes['url.full'])).toEqual([
      `http://127.0.0.1:${app.port}/leaf?${REDACTED_QUERY}`,
      `http://127.0.0.1:${app.port}/leaf?${REDACTED_QUERY}`,
    ]);

    // Nor anywhere else: span names, attributes, events, resource, log records (raw OTLP
    // bodies), metric labels, or what the process writes itself.
    await receiver.waitFor('the three log lines', () =>
      receiver.logs.filter((l) => l.traceId === traceId).length >= 3 ? true : undefined,
    );
    expect(receiver.bodies.length).toBeGreaterThan(0);
    expect(Buffer.concat(receiver.bodies).includes(SECRET)).toBe(false);
    expect(await scrape(app.metricsPort)).not.toContain(SECRET);
    expect(app.stdout()).not.toContain(SECRET);
    expect(app.stderr()).not.toContain(SECRET);
  });
});
