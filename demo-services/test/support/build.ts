// Tests run the services from compiled dist, as production does: build first so they test this code.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../../..', import.meta.url));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  if (!existsSync(`${root}/sdk/dist/register.js`))
    execFileSync(npm, ['run', 'build', '-w', 'sdk'], { cwd: root, stdio: 'inherit' });
  execFileSync(npm, ['run', 'build', '-w', 'demo-services'], { cwd: root, stdio: 'inherit' });
}
