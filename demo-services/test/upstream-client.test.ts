// The client every service call goes through, against real sockets: what each way of failing is
// called, whether the call may have had its effect, what the breaker counts, and that no path can
// take a request anywhere but the dependency's own origin.
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceClient, UpstreamFailure } from '../src/platform/resilience/client.js';
import { freePort } from './support/backends.js';

const settings = {
  timeoutMs: 300,
  retries: 2,
  breakerThreshold: 3,
  halfOpenAfterMs: 60_000,
  bulkheadLimit: 10,
  bulkheadQueue: 10,
};

let http: Server;
let httpUrl: string;
let resetter: TcpServer;
let resetUrl: string;
const hits = new Map<string, number>();

beforeAll(async () => {
  http = createServer((req, res) => {
    hits.set(req.url!, (hits.get(req.url!) ?? 0) + 1);
    if (req.url === '/hang') return; // never answers
    const status = Number(/^\/status\/(\d+)/.exec(req.url!)?.[1] ?? 200);
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'e', message: `status ${status}`, url: req.url }));
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  // accepts, reads the request, then resets the connection: the answer is lost
  resetter = createTcpServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
  await new Promise<void>((r) => resetter.listen(0, '127.0.0.1', r));
  resetUrl = `http://127.0.0.1:${(resetter.address() as AddressInfo).port}`;
});

afterAll(async () => {
  http.closeAllConnections();
  await new Promise((r) => http.close(r));
  await new Promise((r) => resetter.close(r));
});

async function failure(p: Promise<unknown>): Promise<UpstreamFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UpstreamFailure);
  return err as UpstreamFailure;
}

describe('service client', () => {
  it('a refused connection is "unreachable" and certainly had no effect', async () => {
    const client = new ServiceClient('down', `http://127.0.0.1:${await freePort()}`, settings);
    const err = await failure(client.request('POST', '/x', { body: {}, idempotent: true }));
    expect(err.reason).toBe('unreachable');
    expect(err.outcomeUnknown).toBe(false);
  });

  it('a reset after the request was sent leaves the outcome unknown, even if a retry is refused', async () => {
    const client = new ServiceClient('flaky', resetUrl, settings);
    const err = await failure(client.request('POST', '/charge', { body: {}, idempotent: true }));
    expect(err.reason).toBe('unreachable');
    expect(err.outcomeUnknown).toBe(true);
    // the last attempt refused, an earlier one reached the peer: still unknown
    const port = (resetter.address() as AddressInfo).port;
    let first = true;
    resetter.removeAllListeners('connection');
    resetter.on('connection', (socket) => {
      if (first) {
        first = false;
        socket.once('data', () => {
          socket.resetAndDestroy();
          resetter.close(); // later attempts are refused
        });
      }
    });
    const mixed = new ServiceClient('mixed', `http://127.0.0.1:${port}`, settings);
    const err2 = await failure(mixed.request('POST', '/charge', { body: {}, idempotent: true }));
    expect(err2.outcomeUnknown).toBe(true);
    resetter = createTcpServer((socket) => socket.once('data', () => socket.resetAndDestroy()));
    await new Promise<void>((r) => resetter.listen(0, '127.0.0.1', r));
  });

  it('no answer in time is a "timeout", retried when idempotent, outcome unknown', async () => {
    const client = new ServiceClient('slow', httpUrl, settings);
    const before = hits.get('/hang') ?? 0;
    const err = await failure(client.request('GET', '/hang'));
    expect(err.reason).toBe('timeout');
    expect(err.outcomeUnknown).toBe(true);
    expect((hits.get('/hang') ?? 0) - before).toBe(3); // first attempt + 2 retries
  });

  it('502/503/504 are failures that keep the answer; 4xx and 500 are answers', async () => {
    const client = new ServiceClient('answers', httpUrl, settings);
    const err = await failure(client.request('GET', '/status/503'));
    expect(err.reason).toBe('unavailable');
    expect(err.answer?.status).toBe(503);
    const fresh = new ServiceClient('answers2', httpUrl, settings);
    for (const status of [400, 404, 409, 500]) {
      const res = await fresh.request('GET', `/status/${status}`);
      expect(res.status).toBe(status);
    }
  });

  it('the breaker counts unavailability only: answers, however bad, never open it', async () => {
    const client = new ServiceClient('breaker', httpUrl, settings);
    for (let i = 0; i < 10; i++) await client.request('POST', '/status/500', { body: {} });
    for (let i = 0; i < 10; i++) await client.request('POST', '/status/400', { body: {} });
    expect(client.policies.state()).toBe('closed');
    for (let i = 0; i < 3; i++) await failure(client.request('POST', '/status/503', { body: {} }));
    expect(client.policies.state()).toBe('open');
    const open = await failure(client.request('POST', '/status/200', { body: {} }));
    expect(open.reason).toBe('breaker_open');
    expect(open.outcomeUnknown).toBe(false);
  });

  it('a non-idempotent call is retried only when the attempt was never sent', async () => {
    const client = new ServiceClient('once', httpUrl, settings);
    const before = hits.get('/status/503') ?? 0;
    await failure(client.request('POST', '/status/503', { body: {} }));
    expect((hits.get('/status/503') ?? 0) - before).toBe(1);
  });

  it('never leaves the dependency origin, whatever the path', async () => {
    const client = new ServiceClient('origin', httpUrl, settings);
    for (const path of [
      'http://127.0.0.1:1/x',
      '//evil.example/x',
      '\\\\evil.example/x',
      '/\\evil.example/x',
      'x',
      '',
    ])
      await expect(client.request('GET', path), path).rejects.toThrow(/origin/);
    expect(client.urlOf('/api/v1/x?y=1').href).toBe(`${httpUrl}/api/v1/x?y=1`);
  });
});
