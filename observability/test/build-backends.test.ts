// What the native build derives from versions.env (no build runs here).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { backendDir, backendSpecs, cacheDir, formatDuration } from '../native/build-backends.mjs';
import { readVersions } from '../native/versions.mjs';

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

  it('builds VictoriaLogs from its server package and never Loki', () => {
    const specs = backendSpecs();
    expect(specs.map((s) => s.name)).toEqual(['prometheus', 'jaeger', 'victoria-logs']);
    expect(specs.find((s) => s.name === 'victoria-logs')?.packages).toEqual(['app/victoria-logs']);
    expect(JSON.stringify(specs)).not.toMatch(/loki/i);
  });

  it('caches per name and version under O11Y_CACHE_DIR (default ~/.cache/o11y)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'o11y-cache-'));
    try {
      process.env.O11Y_CACHE_DIR = dir;
      expect(cacheDir()).toBe(dir);
      const spec = backendSpecs().find((s) => s.name === 'victoria-logs')!;
      expect(backendDir(spec)).toBe(join(dir, 'backends', `victoria-logs-${spec.version}`));
      delete process.env.O11Y_CACHE_DIR;
      expect(cacheDir()).toMatch(/\.cache[/\\]o11y$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('formats build durations for the progress lines', () => {
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(982_000)).toBe('16m22s');
  });
});
