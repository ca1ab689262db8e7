// Locates the natively built backend binaries (and actionlint, built the same way) for tests,
// failing with the command that builds them instead of building inside a test (a first build
// takes many minutes).
import { spawnSync } from 'node:child_process';
import { backendSpecs, binaryPaths, cacheDir } from '../native/build-backends.mjs';

export function backendBinary(
  name: 'prometheus' | 'promtool' | 'jaeger' | 'victoria-logs' | 'actionlint',
): string {
  const spec = backendSpecs().find((s) => s.binaries.includes(name));
  if (!spec) throw new Error(`no backend provides ${name}`);
  let paths: Record<string, string>;
  try {
    paths = binaryPaths([spec]);
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\n(cache: ${cacheDir()}; set O11Y_CACHE_DIR to use another one)`,
      { cause: err },
    );
  }
  return paths[name] as string;
}

export interface RunResult {
  status: number | null;
  output: string;
}

export function run(binary: string, args: string[], env: NodeJS.ProcessEnv = {}): RunResult {
  const r = spawnSync(binary, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}
