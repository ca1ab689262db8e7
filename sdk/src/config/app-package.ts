import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The directory the app runs from: its main module's folder, else the working directory. */
export function appDirectory(): string {
  const main = process.argv[1];
  if (main) {
    try {
      return dirname(resolve(main));
    } catch {
      // fall through to cwd
    }
  }
  return process.cwd();
}

/** Name and version from the app's nearest package.json (searched upwards from the main module). */
export function readAppPackage(): { name?: string; version?: string } {
  for (const start of [appDirectory(), process.cwd()]) {
    let dir = start;
    for (let i = 0; i < 32; i++) {
      const file = join(dir, 'package.json');
      if (existsSync(file)) {
        try {
          const pkg = JSON.parse(readFileSync(file, 'utf8')) as {
            name?: unknown;
            version?: unknown;
          };
          // A package.json with only "type" (common next to ESM fixtures) names nothing: keep looking.
          if (typeof pkg.name === 'string' && pkg.name.length > 0) {
            return {
              name: pkg.name,
              version: typeof pkg.version === 'string' ? pkg.version : undefined,
            };
          }
        } catch {
          // unreadable package.json: keep looking further up
        }
      }
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return {};
}
