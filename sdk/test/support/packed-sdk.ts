/**
 * The SDK as a user gets it: `npm pack` on a copy of its sources laid out as a fresh clone has
 * them (no dist/), so that the package's own prepack builds what is packed. Packing this
 * checkout instead would delete and rebuild its dist/ while other test files load it.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { cleanEnv } from './processes';

export const SDK_DIR = join(__dirname, '..', '..');
export const REPO = join(SDK_DIR, '..');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The environment for npm and the tools that run it: without the settings a parent npm
 * (`npx vitest`, `npm test`) passes down, such as its workspace and prefix, so that npm acts on
 * the folder it is given, as in a user's shell.
 */
export function npmEnv(): Record<string, string | undefined> {
  const env = cleanEnv();
  for (const k of Object.keys(env)) if (k.startsWith('npm_')) delete env[k];
  return env;
}

/** Runs a command to its end (its whole process group is killed at the timeout). */
export function run(
  command: string,
  args: string[],
  cwd: string,
  timeoutMs = 120_000,
): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd,
      env: npmEnv(),
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${timeoutMs} ms)`;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: null, stdout, stderr: `${stderr}${err.message}` });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A new directory in the OS temp dir, outside the workspace, so nothing resolves from it. */
export function tempDir(prefix: string): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
  if (!relative(REPO, dir).startsWith('..'))
    throw new Error(`the OS temp dir ${dir} is inside the repository; set TMPDIR elsewhere`);
  return dir;
}

/** The JavaScript file behind a tool's bin in the checkout's node_modules (run offline). */
export function bin(name: string): string {
  return realpathSync(join(REPO, 'node_modules', '.bin', name));
}

/**
 * Lays out `root` as a fresh clone after `npm ci` has it: the root tsconfig.json, the SDK folder
 * without build output, and the checkout's installed dependencies linked in. Returns the SDK folder.
 */
export function cloneSdk(root: string): string {
  cpSync(join(REPO, 'tsconfig.json'), join(root, 'tsconfig.json'));
  const sdk = join(root, 'sdk');
  cpSync(SDK_DIR, sdk, {
    recursive: true,
    filter: (src) => {
      const parts = relative(SDK_DIR, src).split(sep);
      return parts[0] !== 'dist' && !parts.includes('node_modules') && !src.endsWith('.tgz');
    },
  });
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir');
  if (existsSync(join(SDK_DIR, 'node_modules')))
    symlinkSync(join(SDK_DIR, 'node_modules'), join(sdk, 'node_modules'), 'dir');
  return sdk;
}

export interface Packed {
  /** The cloned SDK folder, built by the pack. */
  sdk: string;
  tarball: string;
  /** Paths inside the package, as npm listed them. */
  files: string[];
}

/** Clones the SDK into `root` and runs `npm pack` there, as the release does. */
export async function packSdk(root: string): Promise<Packed> {
  const sdk = cloneSdk(root);
  const r = await run('npm', ['pack', '--json', '--pack-destination', root], sdk);
  if (r.code !== 0) throw new Error(`npm pack failed (${r.code}):\n${r.stderr}\n${r.stdout}`);
  const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  return {
    sdk,
    tarball: join(root, info!.filename),
    files: info!.files.map((f) => f.path),
  };
}
