import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const EXPRESS4 = join(__dirname, '..', 'fixtures', 'express4');

/**
 * The express 4 fixture needs express 4 next to it, while the workspace itself has express 5.
 * When the fixture is not a workspace (so `npm ci` did not install it), install it here once.
 */
export default function setup(): void {
  const pkg = join(EXPRESS4, 'node_modules', 'express', 'package.json');
  if (
    existsSync(pkg) &&
    (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version.startsWith('4.')
  )
    return;
  const lock = '/tmp/o11y/npm.lock';
  const npm = [
    'install',
    '--prefix',
    EXPRESS4,
    '--no-save',
    '--no-package-lock',
    '--no-audit',
    '--no-fund',
    'express@4',
  ];
  try {
    if (existsSync(lock)) execFileSync('flock', [lock, 'npm', ...npm], { stdio: 'inherit' });
    else execFileSync('npm', npm, { stdio: 'inherit' });
  } catch (err) {
    throw new Error(
      `express 4 for the fixture could not be installed (${(err as Error).message}); run: npm install --prefix sdk/test/fixtures/express4 --no-save express@4`,
      { cause: err },
    );
  }
}
