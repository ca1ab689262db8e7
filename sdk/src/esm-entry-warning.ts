/**
 * `import '@o11y/sdk/register'` as the first line of an ES module entry looks like the CommonJS
 * `require()` first line but is too late: an ES module's imports are all loaded before any of
 * them runs, so express & co. were loaded before the SDK could hook them. What follows (spans
 * without route names, `http_route="unmatched"`) says nothing of its cause; this warning does.
 */
import { relative } from 'node:path';
import { warnOnce } from './config/warn';

/**
 * Flags that load code before the entry. The SDK may have come in through one of them directly
 * or through the app's own preload file (`--import ./instrumentation.mjs`), which is right, and
 * the two look the same from here: with any of them present, nothing is said.
 */
const PRELOAD_FLAGS = [
  '--import',
  '--require',
  '-r',
  '--loader',
  '--experimental-loader',
  '--experimental-config-file',
  '--experimental-default-config-file',
];

function isPreloadFlag(arg: string): boolean {
  for (const flag of PRELOAD_FLAGS) if (arg === flag || arg.startsWith(`${flag}=`)) return true;
  return false;
}

/** Whether `execArgv` or `nodeOptions` carries a flag that loads code before the entry. */
export function hasPreloadFlag(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
): boolean {
  // String comparisons rather than one regular expression: compiling that cost more than the rest.
  return execArgv.some(isPreloadFlag) || (nodeOptions?.split(' ').some(isPreloadFlag) ?? false);
}

/**
 * Whether the SDK is being started by the module graph of an ES module entry. A CommonJS entry is
 * `require.main` before its first line runs; preloads run before any entry, with a flag that says
 * so; `node -e` and the REPL have no entry file. What is left is an ES module entry (whatever its
 * extension: Node also runs a `.js` with `import` syntax as one) that imported the SDK.
 * A few property reads and string comparisons: no stack, no file.
 */
export function startedByEsmEntry(): boolean {
  if (require.main !== undefined || process.argv[1] === undefined) return false;
  return !hasPreloadFlag(process.execArgv, process.env.NODE_OPTIONS);
}

/** Warns once if the SDK was started too late for an ES module entry's imports. */
export function warnIfStartedByEsmEntry(via: 'register' | 'start'): void {
  if (!startedByEsmEntry()) return;
  const entry = relative(process.cwd(), process.argv[1] ?? '') || 'app.mjs';
  const how =
    via === 'register'
      ? `@o11y/sdk/register was imported by the ES module entry ${entry}`
      : `start() was called from the ES module entry ${entry}`;
  warnOnce(
    'esm-entry',
    `${how}, after the modules it imports (express, pg, ...) were loaded: an ES module's imports ` +
      'are all loaded before any of them runs, so those are not instrumented (spans without route ' +
      `names, http_route="unmatched"). Start with: node --import @o11y/sdk/register ${entry} ` +
      '(or NODE_OPTIONS="--import @o11y/sdk/register")' +
      (via === 'start' ? '; to call start() yourself, call it in a file loaded with --import' : ''),
  );
}
