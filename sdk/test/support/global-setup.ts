import { execFile } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const FIXTURES = join(__dirname, '..', 'fixtures');
const run = promisify(execFile);

/** Fixture apps with their own dependencies: a folder with a lockfile. */
function fixtureApps(): string[] {
  return readdirSync(FIXTURES)
    .map((name) => join(FIXTURES, name))
    .filter((dir) => existsSync(join(dir, 'package-lock.json')));
}

/** Whether `npm ci` installed the folder from its current lockfile. */
function installed(dir: string): boolean {
  const marker = join(dir, 'node_modules', '.package-lock.json');
  return (
    existsSync(marker) &&
    statSync(marker).mtimeMs >= statSync(join(dir, 'package-lock.json')).mtimeMs
  );
}

/**
 * The fixture apps run the libraries a user's app would (express 4 next to the workspace's
 * express 5, fastify 4 and 5, node-redis 4 and 5, NestJS, database clients, loggers) without
 * making them the SDK's dependencies. npm does not install a workspace nested inside another one,
 * so each keeps its own lockfile and is installed from it here (`npm ci`), once.
 */
export default async function setup(): Promise<void> {
  const missing = fixtureApps().filter((dir) => !installed(dir));
  await Promise.all(
    missing.map(async (dir) => {
      const command = ['ci', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts'];
      process.stdout.write(`installing the fixture app ${dir} (npm ${command.join(' ')})\n`);
      try {
        await run(process.platform === 'win32' ? 'npm.cmd' : 'npm', command, {
          maxBuffer: 64 * 1024 * 1024,
        });
      } catch (err) {
        throw new Error(
          `the fixture app in ${dir} could not be installed (${(err as Error).message}); run: npm ${command.join(' ')}`,
          { cause: err },
        );
      }
    }),
  );
}
