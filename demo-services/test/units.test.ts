// Pure pieces, without processes: password hashing, the gateway cache, load generator statistics,
// secrets and configuration files, request targets.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ensureSecretFiles, randomSecret } from '../src/platform/secrets/files.js';
import { resolveFiles, secret } from '../src/platform/config/index.js';
import { originForm } from '../src/platform/http/request-target.js';
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

describe('secrets', () => {
  it('generated once, kept afterwards, different from each other, readable only by the owner', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'secrets-')), 'nested');
    const files = ['a', 'b'].map((name) => ({ name, make: randomSecret }));
    const first = ensureSecretFiles(dir, files, 0o600);
    expect(first.created).toEqual(['a', 'b']);
    expect(first.values.a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.values.a).not.toBe(first.values.b);
    expect(statSync(join(dir, 'a')).mode & 0o777).toBe(0o600);
    const again = ensureSecretFiles(dir, files, 0o600);
    expect(again.created).toEqual([]);
    expect(again.values).toEqual(first.values);
    rmSync(dir, { recursive: true, force: true });
  });

  it('X_FILE gives X; both at once, or an unreadable file, is a named problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-'));
    writeFileSync(join(dir, 'secret'), 'from-the-file\n');
    const ok = resolveFiles(['JWT_SECRET'], { JWT_SECRET_FILE: join(dir, 'secret') });
    expect(ok).toMatchObject({ values: { JWT_SECRET: 'from-the-file' }, problems: [] });
    const both = resolveFiles(['JWT_SECRET'], {
      JWT_SECRET: 'x',
      JWT_SECRET_FILE: join(dir, 'secret'),
    });
    expect(both.problems).toEqual([
      expect.stringContaining('set both JWT_SECRET and JWT_SECRET_FILE'),
    ]);
    const missing = resolveFiles(['JWT_SECRET'], { JWT_SECRET_FILE: join(dir, 'nope') });
    expect(missing.problems).toEqual([expect.stringContaining('ENOENT')]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a secret must be long, and never a value published in this repository', () => {
    const schema = secret('JWT_SECRET');
    expect(schema.safeParse(undefined).error?.issues[0]?.message).toContain('required');
    expect(schema.safeParse('short').success).toBe(false);
    expect(schema.safeParse('dev-only-secret-change-me-0123456789abcdef').success).toBe(false);
    expect(schema.safeParse(randomSecret()).success).toBe(true);
  });
});

describe('request targets', () => {
  it('keeps only the path and query of an absolute URL, and refuses ambiguous paths', () => {
    expect(originForm('http://evil.example:1/api/v1/x?y=1')).toEqual({ path: '/api/v1/x?y=1' });
    expect(originForm('http://evil.example')).toEqual({ path: '/' });
    expect(originForm('/api/v1/orders/abc?q=%2F')).toEqual({ path: '/api/v1/orders/abc?q=%2F' });
    for (const bad of [
      '/api/v1/orders/..\\..\\readyz',
      '/api/v1/orders/%2e%2e/readyz',
      '/api/v1/orders/..%2freadyz',
      '/api/v1/orders/../readyz',
      '/api/v1/./orders',
      'http://evil.example/api/../readyz',
      '//evil.example/x',
      '/a%00b',
      'ftp://evil.example/x',
      '*',
    ])
      expect(originForm(bad), bad).toHaveProperty('refused');
  });
});
