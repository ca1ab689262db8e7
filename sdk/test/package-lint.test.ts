/**
 * What the package promises before anyone installs it: types that resolve in every TypeScript
 * resolution mode, a package.json that publishers' lint accepts, source maps whose sources ship,
 * and a dependency list that covers everything the build loads.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { basename, join, posix, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, packSdk, REPO, run, SDK_DIR, tempDir, type Packed } from './support/packed-sdk';

let root: string;
let packed: Packed;
beforeAll(async () => {
  root = tempDir('o11y-sdk-lint-');
  packed = await packSdk(root);
}, 120_000);
afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The package a module specifier names (`@scope/name/sub` -> `@scope/name`). */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/** Every package the built files load (`require`, `require.resolve`) or their types import. */
function packagesLoadedBy(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const pattern =
    /\brequire(?:\.resolve)?\((['"])([^'"]+)\1\)|^(?:import|export)\b[^;]*?\bfrom (['"])([^'"]+)\3|\bimport\((['"])([^'"]+)\5\)/gm;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(js|d\.ts)$/.test(entry.name)) continue;
    const file = join(entry.parentPath, entry.name);
    for (const m of readFileSync(file, 'utf8').matchAll(pattern)) {
      const specifier = m[2] ?? m[4] ?? m[6] ?? '';
      if (specifier.startsWith('.') || isBuiltin(specifier)) continue;
      found.set(packageOf(specifier), relative(dir, file));
    }
  }
  return found;
}

describe('the packed SDK', () => {
  it('passes attw --pack: types resolve under node10, node16 (CJS and ESM) and bundler', async () => {
    const r = await run(
      process.execPath,
      [bin('attw'), '--pack', packed.sdk, '--format', 'json'],
      root,
    );
    let report: { analysis?: { types?: unknown }; problems?: Record<string, unknown[]> };
    try {
      report = JSON.parse(r.stdout) as typeof report;
    } catch {
      throw new Error(`attw did not report (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
    }
    expect(report.analysis?.types, 'attw found no type declarations').toBeTruthy();
    const problems = Object.values(report.problems ?? {})
      .flat()
      .map((p) => JSON.stringify(p));
    expect(problems, 'attw problems').toEqual([]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('passes publint --strict, with nothing to suggest', async () => {
    const r = await run(process.execPath, [bin('publint'), '--strict', packed.tarball], root);
    expect(r.stdout, `publint (exit ${r.code}):\n${r.stdout}\n${r.stderr}`).toContain('All good!');
    expect(r.code).toBe(0);
  });

  it('ships the sources its source maps and declaration maps point at', () => {
    const shipped = new Set(packed.files);
    const maps = packed.files.filter((f) => f.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    const missing: string[] = [];
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(packed.sdk, map), 'utf8')) as {
        sources: string[];
      };
      for (const source of sources) {
        const path = posix.normalize(posix.join(posix.dirname(map), source));
        if (!shipped.has(path)) missing.push(`${map} -> ${path}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('ships its entry points and its licence, and no tests, benchmarks or examples', () => {
    expect(packed.files).toEqual(
      expect.arrayContaining([
        'dist/index.js',
        'dist/register.js',
        'dist/register.d.ts',
        'LICENSE',
      ]),
    );
    expect(packed.files.filter((f) => /^(test|bench|examples)\//.test(f))).toEqual([]);
  });

  it('is the file both READMEs tell users to install', () => {
    const install = `npm install ../o11y/${basename(packed.tarball)}`;
    for (const readme of [join(REPO, 'README.md'), join(SDK_DIR, 'README.md')])
      expect(readFileSync(readme, 'utf8'), readme).toContain(install);
  });

  it('declares every package its build loads as a dependency of its own', () => {
    const { name, dependencies } = JSON.parse(
      readFileSync(join(packed.sdk, 'package.json'), 'utf8'),
    ) as { name: string; dependencies: Record<string, string> };
    const undeclared = [...packagesLoadedBy(join(packed.sdk, 'dist'))]
      .filter(([pkg]) => pkg !== name && !(pkg in dependencies))
      .map(([pkg, file]) => `${pkg} (dist/${file})`);
    expect(undeclared).toEqual([]);
  });
});
