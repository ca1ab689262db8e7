// The native Prometheus is built with service discovery trimmed (PROMETHEUS_TAGS in
// native/build-backends.mjs). promtool cannot vouch for the config against that build (it links
// Kubernetes discovery itself and accepts what the server would refuse), so the built server
// itself loads the config here, and the config is held to the discovery mechanisms it has.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { PROMETHEUS_TAGS } from '../native/build-backends.mjs';
import { writeNativeConfig } from '../native/host-mapping.mjs';
import { backendBinary, run } from './backend-binaries.js';

const source = join(import.meta.dirname, '..', 'prometheus', 'prometheus.yml');
const scratch = mkdtempSync(join(tmpdir(), 'o11y-prometheus-build-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** `<name>_sd_configs` keys a Prometheus built with these tags understands. */
function keptDiscovery(tags: string[]): string[] | 'all' {
  if (!tags.includes('remove_all_sd')) return 'all';
  // static_configs is part of the scrape config; file and http are in plugins/minimum.go.
  const enabled = tags.flatMap((t) => /^enable_(\w+)_sd$/.exec(t)?.[1] ?? []);
  return ['file', 'http', ...enabled].map((n) => `${n}_sd_configs`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('native Prometheus build', () => {
  it('is built without the discovery plugins prometheus.yml does not use', () => {
    const kept = keptDiscovery(PROMETHEUS_TAGS);
    expect(kept).not.toBe('all');
    const cfg = YAML.parse(readFileSync(source, 'utf8')) as {
      scrape_configs: Record<string, unknown>[];
    };
    for (const job of cfg.scrape_configs) {
      for (const key of Object.keys(job).filter((k) => k.endsWith('_sd_configs'))) {
        expect(
          kept,
          `${String(job.job_name)} uses ${key}: add its enable_<name>_sd tag to PROMETHEUS_TAGS ` +
            'in observability/native/build-backends.mjs',
        ).toContain(key);
      }
    }
  });

  it('loads prometheus.yml (native form) with its rules and becomes ready', async () => {
    const config = join(scratch, 'prometheus.yml');
    writeNativeConfig(source, config);
    const port = await freePort();
    const child = spawn(
      backendBinary('prometheus'),
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(scratch, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--enable-feature=exemplar-storage',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    try {
      const base = `http://127.0.0.1:${port}`;
      const deadline = Date.now() + 30_000;
      let ready = false;
      while (!ready && Date.now() < deadline && child.exitCode === null) {
        ready = await fetch(`${base}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
        if (!ready) await new Promise((r) => setTimeout(r, 200));
      }
      expect(ready, output).toBe(true);
      // The configuration the server loaded, as it reports it back.
      const loaded = (await (await fetch(`${base}/api/v1/status/config`)).json()) as {
        data: { yaml: string };
      };
      const jobs = (
        YAML.parse(loaded.data.yaml) as { scrape_configs: { job_name: string }[] }
      ).scrape_configs.map((j) => j.job_name);
      expect(jobs).toEqual(expect.arrayContaining(['services', 'jaeger', 'prometheus']));
      const rules = (await (await fetch(`${base}/api/v1/rules`)).json()) as {
        data: { groups: unknown[] };
      };
      expect(rules.data.groups.length).toBeGreaterThan(0);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('refuses a discovery mechanism the build left out, naming it', () => {
    const config = join(scratch, 'kubernetes.yml');
    writeFileSync(
      config,
      'scrape_configs:\n  - job_name: pods\n    kubernetes_sd_configs:\n      - role: pod\n',
    );
    const r = run(backendBinary('prometheus'), [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(scratch, 'refused')}`,
      '--web.listen-address=127.0.0.1:0',
    ]);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain('field kubernetes_sd_configs not found');
  });
});
