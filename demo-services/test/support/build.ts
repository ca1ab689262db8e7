// Tests run the services from compiled dist, as production does: build first (when the sources
// are newer than the last build) so they always test this code.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

function newest(dir: string): number {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

export default function setup(): void {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const workspace = join(root, 'demo-services');
  const stamp = join(workspace, 'dist', '.build-stamp');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // The services run the SDK from its dist too: rebuild it when its sources are newer.
  const sdkEntry = join(root, 'sdk', 'dist', 'register.js');
  if (!existsSync(sdkEntry) || statSync(sdkEntry).mtimeMs < newest(join(root, 'sdk', 'src')))
    execFileSync(npm, ['run', 'build', '-w', 'sdk'], { cwd: root, stdio: 'inherit' });
  const sources = Math.max(
    newest(join(workspace, 'src')),
    statSync(join(workspace, 'package.json')).mtimeMs,
  );
  if (existsSync(stamp) && statSync(stamp).mtimeMs >= sources) return;
  // the build script writes the stamp
  execFileSync(npm, ['run', 'build', '-w', 'demo-services'], { cwd: root, stdio: 'inherit' });
}
