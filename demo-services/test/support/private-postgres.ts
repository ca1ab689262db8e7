// A PostgreSQL server of the test's own (initdb in a temporary directory, its own port), so a test
// can stop or restart "the database" for real without touching the machine's server. Runs as the
// postgres user when the tests run as root (initdb refuses root).
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './backends.js';

function binDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions
    .map((v) => join(root, v, 'bin'))
    .find((d) => existsSync(join(d, 'initdb')));
  if (!found)
    throw new Error(
      "PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql: install Debian's postgresql package",
    );
  return found;
}

export class PrivatePostgres {
  readonly dir = mkdtempSync(join(tmpdir(), 'o11y-pg-'));
  port = 0;
  private readonly bin = binDir();
  private readonly asPostgres = process.getuid?.() === 0;

  get adminUrl(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private run(tool: string, args: string[]): void {
    const command = join(this.bin, tool);
    const [file, argv] = this.asPostgres
      ? ['runuser', ['-u', 'postgres', '--', command, ...args]]
      : [command, args];
    const result = spawnSync(file, argv, { encoding: 'utf8', timeout: 60_000 });
    if (result.status !== 0)
      throw new Error(`${tool} ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  }

  async start(): Promise<void> {
    this.port = await freePort();
    if (this.asPostgres) {
      const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }));
      const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }));
      chownSync(this.dir, uid, gid);
    }
    this.run('initdb', [
      '-D',
      join(this.dir, 'data'),
      '-U',
      'postgres',
      '-A',
      'trust',
      '--no-sync',
    ]);
    this.up();
  }

  private up(): void {
    const options = [
      `-p ${this.port}`,
      `-k ${this.dir}`,
      "-c listen_addresses='127.0.0.1'",
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c max_connections=200',
    ].join(' ');
    this.run('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-o',
      options,
      '-l',
      join(this.dir, 'log'),
      '-w',
      'start',
    ]);
  }

  /** A fast shutdown: every session is terminated, as in a restart or failover. */
  stopServer(): void {
    this.run('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  startServer(): void {
    this.up();
  }

  stop(): void {
    try {
      this.stopServer();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
