import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as nodeModule from 'node:module';
import { warnOnce } from './config/warn';

/** Whether the app's entry file is an ES module (.mjs, or .js under "type": "module"). */
export function appIsEsm(): boolean {
  const main = process.argv[1];
  if (!main) return false;
  const file = resolve(main);
  const ext = extname(file);
  if (ext === '.mjs' || ext === '.mts') return true;
  if (ext === '.cjs' || ext === '.cts') return false;
  let dir = dirname(file);
  for (let i = 0; i < 32; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        return (JSON.parse(readFileSync(pkg, 'utf8')) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return false;
}

let registered = false;

/**
 * Installs import-in-the-middle's loader hook so that ES module imports of instrumented packages
 * are patched too (upstream's register leaves ESM apps uninstrumented). Only the modules that an
 * enabled instrumentation needs are wrapped, and only when the app is ESM or uses a library
 * published as ES modules only (`esmLibrary`: NestJS 12 imports express through ESM even in a
 * CommonJS app): the loader thread costs startup time other CommonJS apps need not pay.
 * `O11Y_ESM_HOOK=true|false` overrides the guess.
 */
export function registerEsmHook(modules: string[], esmLibrary?: string): void {
  if (registered) return;
  const override = process.env.O11Y_ESM_HOOK?.trim().toLowerCase();
  const wanted =
    override === 'true'
      ? true
      : override === 'false'
        ? false
        : esmLibrary !== undefined || appIsEsm();
  if (!wanted) return;
  const register = (
    nodeModule as { register?: (specifier: string, parentURL: string, options?: object) => void }
  ).register;
  if (typeof register !== 'function') {
    warnOnce(
      'esm-hook',
      `this Node.js (${process.version}) has no module.register; ES module imports are not instrumented`,
    );
    return;
  }
  try {
    const hook = pathToFileURL(require.resolve('@opentelemetry/instrumentation/hook.mjs')).href;
    register(hook, pathToFileURL(__filename).href, { data: { include: modules } });
    registered = true;
  } catch (err) {
    warnOnce(
      'esm-hook',
      `ES module hook could not be installed (${(err as Error).message}); ES module imports are not instrumented`,
    );
  }
}
