import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const EXPRESS4 = join(__dirname, '..', 'fixtures', 'express4');

function installedVersion(): string | undefined {
  const pkg = join(EXPRESS4, 'node_modules', 'express', 'package.json');
  return existsSync(pkg)
    ? (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version
    : undefined;
}

/**
 * The express 4 fixture needs express 4 next to it while the workspace has express 5. npm does
 * not install a workspace nested inside another one, so the fixture keeps its own lockfile and is
 * installed from it here (`npm ci`), once.
 */
export default function setup(): void {
  if (installedVersion()?.startsWith('4.')) return;
  const command = ['ci', '--prefix', EXPRESS4, '--no-audit', '--no-fund'];
  try {
    execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', command, { stdio: 'inherit' });
  } catch (err) {
    throw new Error(
      `express 4 for the fixture could not be installed (${(err as Error).message}); run: npm ${command.join(' ')}`,
      { cause: err },
    );
  }
  if (!installedVersion()?.startsWith('4.'))
    throw new Error(`npm ci in ${EXPRESS4} did not install express 4`);
}
