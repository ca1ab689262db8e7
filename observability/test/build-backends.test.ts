// What the native build derives from versions.env (no build runs here).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  backendDir,
  backendSpecs,
  buildKey,
  cacheDir,
  formatDuration,
} from '../native/build-backends.mjs';
import { readVersions } from '../native/versions.mjs';
import { backendBinary } from './backend-binaries.js';

const saved = process.env.O11Y_CACHE_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.O11Y_CACHE_DIR;
  else process.env.O11Y_CACHE_DIR = saved;
});

describe('backend build plan', () => {
  it('maps Prometheus 3.x.y to module v0.3xx.y and builds prometheus and promtool', () => {
    const prom = backendSpecs({ ...readVersions(), PROMETHEUS_VERSION: '3.16.0' }).find(
      (s) => s.name === 'prometheus',
    );
    expect(prom).toMatchObject({
      moduleVersion: 'v0.316.0',
      packages: ['cmd/prometheus', 'cmd/promtool'],
      binaries: ['prometheus', 'promtool'],
      replaces: [],
    });
  });

  it('builds Prometheus with static, file and HTTP service discovery only', () => {
    const prom = backendSpecs().find((s) => s.name === 'prometheus');
    expect(prom?.tags).toEqual(['remove_all_sd']);
  });

  it('builds Jaeger v2 from the module version on the same commit as its tag', () => {
    const jaeger = backendSpecs({ ...readVersions(), JAEGER_VERSION: '2.13.0' }).find(
      (s) => s.name === 'jaeger',
    );
    expect(jaeger).toMatchObject({ moduleVersion: 'v1.76.0', packages: ['cmd/jaeger'] });
    expect(jaeger?.replaces.length).toBeGreaterThan(0);
  });

  it('refuses a Jaeger version it cannot map, naming the table to extend', () => {
    expect(() => backendSpecs({ ...readVersions(), JAEGER_VERSION: '9.9.9' })).toThrow(
      /JAEGER_MODULE_VERSIONS/,
    );
  });

  it('builds actionlint from its module at ACTIONLINT_VERSION', () => {
    const lint = backendSpecs({ ...readVersions(), ACTIONLINT_VERSION: '1.7.12' }).find(
      (s) => s.name === 'actionlint',
    );
    expect(lint).toMatchObject({
      module: 'github.com/rhysd/actionlint',
      moduleVersion: 'v1.7.12',
      packages: ['cmd/actionlint'],
      binaries: ['actionlint'],
      replaces: [],
    });
  });

  it('builds VictoriaLogs from its server package, actionlint too, and never Loki', () => {
    const specs = backendSpecs();
    expect(specs.map((s) => s.name)).toEqual([
      'prometheus',
      'jaeger',
      'victoria-logs',
      'actionlint',
    ]);
    expect(specs.find((s) => s.name === 'victoria-logs')?.packages).toEqual(['app/victoria-logs']);
    expect(JSON.stringify(specs)).not.toMatch(/loki/i);
  });

  it('caches per name, version and build flags under O11Y_CACHE_DIR (default ~/.cache/o11y)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'o11y-cache-'));
    try {
      process.env.O11Y_CACHE_DIR = dir;
      expect(cacheDir()).toBe(dir);
      const spec = backendSpecs().find((s) => s.name === 'victoria-logs')!;
      expect(backendDir(spec)).toBe(
        join(dir, 'backends', `victoria-logs-${spec.version}-${buildKey(spec)}`),
      );
      delete process.env.O11Y_CACHE_DIR;
      expect(cacheDir()).toMatch(/\.cache[/\\]o11y$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes no binary built with other flags for this one', () => {
    const prom = backendSpecs().find((s) => s.name === 'prometheus')!;
    expect(buildKey(prom)).toMatch(/^[0-9a-f]{10}$/);
    expect(buildKey({ ...prom })).toBe(buildKey(prom));
    for (const other of [
      { ...prom, tags: [] },
      { ...prom, tags: [...prom.tags, 'enable_kubernetes_sd'] },
      { ...prom, ldflags: '' },
      { ...prom, moduleVersion: 'v0.316.1' },
      { ...prom, packages: ['cmd/prometheus'] },
      { ...prom, replaces: ['a => b v1.0.0'] },
    ]) {
      expect(buildKey(other)).not.toBe(buildKey(prom));
      expect(backendDir(other)).not.toBe(backendDir(prom));
    }
  });

  it('names the command that builds a missing binary', () => {
    const dir = mkdtempSync(join(tmpdir(), 'o11y-cache-'));
    try {
      process.env.O11Y_CACHE_DIR = dir;
      expect(() => backendBinary('actionlint')).toThrow(
        /actionlint .* is not built; run: node observability\/native\/build-backends\.mjs actionlint/,
      );
      expect(() => backendBinary('promtool')).toThrow(
        /run: node observability\/native\/build-backends\.mjs prometheus\b/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('formats build durations for the progress lines', () => {
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(982_000)).toBe('16m22s');
  });
});
