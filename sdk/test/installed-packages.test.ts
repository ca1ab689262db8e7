import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InstalledPackages } from '../src/instrument/installed-packages';

// Which libraries an app has decides which instrumentations load: a pure question of folders.
const root = mkdtempSync(join(tmpdir(), 'o11y-installed-'));
const app = join(root, 'app', 'src');
for (const dir of [
  join(root, 'node_modules', 'koa'),
  join(root, 'app', 'node_modules', 'mysql2'),
  join(root, 'app', 'node_modules', '@aws-sdk', 'client-sqs'),
  join(root, 'app', 'node_modules', '@redis', 'client'),
  app,
])
  mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('InstalledPackages', () => {
  const installed = new InstalledPackages([app]);

  it('finds packages in every node_modules folder up the tree, scoped ones included', () => {
    expect(installed.has('mysql2')).toBe(true);
    expect(installed.has('koa')).toBe(true);
    expect(installed.has('@redis/client')).toBe(true);
  });

  it('does not find what is not there', () => {
    expect(installed.has('mongodb')).toBe(false);
    expect(installed.has('@redis/search')).toBe(false);
    expect(installed.has('@grpc/grpc-js')).toBe(false);
    expect(installed.has('client-sqs')).toBe(false);
  });

  it('matches a scope prefix: an app on AWS SDK v3 has some @aws-sdk/client-*', () => {
    expect(installed.has('@aws-sdk/client-*')).toBe(true);
    expect(installed.has('@aws-sdk/lib-*')).toBe(false);
    expect(installed.has('@smithy/*')).toBe(false);
  });
});
