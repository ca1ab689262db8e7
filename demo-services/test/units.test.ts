// Pure pieces, without processes: password hashing, the gateway cache, load generator statistics.
import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../src/users/passwords.js';
import { ResponseCache } from '../src/gateway/cache.js';
import { WindowStats } from '../src/loadgen/stats.js';

describe('passwords', () => {
  it('hashes with scrypt and a random salt, and verifies', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('wrong', a)).toBe(false);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
  });
});

describe('response cache', () => {
  it('expires entries and stays bounded', async () => {
    const cache = new ResponseCache(50, 2);
    const value = { status: 200, body: {}, headers: new Headers() };
    cache.set('a', value);
    cache.set('b', value);
    cache.set('c', value);
    expect(cache.get('a')).toBeUndefined();
    expect(cache.get('c')).toBe(value);
    await new Promise((r) => setTimeout(r, 60));
    expect(cache.get('c')).toBeUndefined();
  });
});

describe('load generator statistics', () => {
  it('reports error ratio and p99 per window', () => {
    const stats = new WindowStats();
    for (let i = 1; i <= 100; i++)
      stats.record(i, i <= 5 ? 'error' : i <= 15 ? 'expected_4xx' : 'ok');
    const w = stats.flush();
    expect(w.count).toBe(100);
    expect(w.errorPct).toBe(5);
    expect(w.expected4xxPct).toBe(10);
    expect(w.p99).toBe(99);
    expect(w.p50).toBe(50);
    expect(stats.flush().count).toBe(0);
  });
});
