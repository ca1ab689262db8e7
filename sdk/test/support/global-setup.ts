import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const EXPRESS4 = join(__dirname, '..', 'fixtures', 'express4');

/**
 * The express 4 fixture needs express 4 next to it while the workspace itself has express 5.
 * The fixture is a workspace, so `npm ci` installs it; say so plainly when it is missing.
 */
export default function setup(): void {
  const pkg = join(EXPRESS4, 'node_modules', 'express', 'package.json');
  const version = existsSync(pkg)
    ? (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version
    : undefined;
  if (!version?.startsWith('4.'))
    throw new Error(
      `express 4 for the fixture is missing (${pkg}: ${version ?? 'not found'}); run \`npm ci\` (or \`npm install\`) at the repository root`,
    );
}
