// The native stack's process handling: a stop reaches the whole process group, and leaves
// nothing behind even when a process ignores SIGTERM.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startProcess, stopProcesses } from '../native/processes.mjs';

const dir = mkdtempSync(join(tmpdir(), 'o11y-procs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A killed process whose parent is gone may linger as a zombie until init reaps it: dead too.
const alive = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
};

describe('native stack processes', () => {
  it('stops a process and the children it spawned', async () => {
    const p = startProcess({
      name: 'parent',
      command: 'sh',
      args: ['-c', 'sleep 300 & echo $! > child.pid; wait'],
      cwd: dir,
      logFile: join(dir, 'parent.log'),
    });
    await new Promise((r) => setTimeout(r, 300));
    const child = Number(readFileSync(join(dir, 'child.pid'), 'utf8'));
    expect(alive(child)).toBe(true);
    await stopProcesses([p], 2000);
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(p.pid)).toBe(false);
    expect(alive(child)).toBe(false);
  });

  it('kills a process that ignores SIGTERM after the grace period', async () => {
    const p = startProcess({
      name: 'stubborn',
      command: 'sh',
      args: ['-c', "trap '' TERM; while true; do sleep 1; done"],
      logFile: join(dir, 'stubborn.log'),
    });
    await new Promise((r) => setTimeout(r, 200));
    const started = Date.now();
    await stopProcesses([p], 500);
    expect(Date.now() - started).toBeLessThan(5000);
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(p.pid)).toBe(false);
  });
});
