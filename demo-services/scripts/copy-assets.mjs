// The build copies what tsc does not: each service's SQL migrations, next to its compiled code.
import { cp, readdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
for (const entry of await readdir(join(root, 'src'), { withFileTypes: true })) {
  const from = join(root, 'src', entry.name, 'migrations');
  if (entry.isDirectory() && existsSync(from)) {
    await cp(from, join(root, 'dist', entry.name, 'migrations'), { recursive: true });
  }
}

// Marks the build time: the tests rebuild only when a source is newer than this.
await writeFile(join(root, 'dist', '.build-stamp'), `${new Date().toISOString()}\n`);
