// (6) the running backends accept the configs they were started with, and the wiring between
// them works: Jaeger's Monitor tab reads span metrics back from Prometheus.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeNativeConfig } from '../../native/host-mapping.mjs';
import { observabilityDir } from '../../native/versions.mjs';
import { backendBinary, run } from '../backend-binaries.js';
import { eventually, JAEGER, promQuery, VICTORIA_LOGS } from './backends.js';

// The same transform the stack applies, written here so the check does not depend on which data
// directory the running stack uses.
const configDir = mkdtempSync(join(tmpdir(), 'o11y-e2e-config-'));
afterAll(() => rmSync(configDir, { recursive: true, force: true }));

describe('configs in the running native stack', () => {
  it('the mapped prometheus.yml and jaeger.yml pass the real binaries\u2019 checks', () => {
    const prom = join(configDir, 'prometheus.yml');
    const jaeger = join(configDir, 'jaeger.yml');
    writeNativeConfig(join(observabilityDir, 'prometheus', 'prometheus.yml'), prom);
    writeNativeConfig(join(observabilityDir, 'jaeger', 'jaeger.yml'), jaeger);
    const p = run(backendBinary('promtool'), ['check', 'config', prom]);
    expect(p.status, p.output).toBe(0);
    const j = run(backendBinary('jaeger'), ['validate', '--config', `file:${jaeger}`], {
      JAEGER_LISTEN_HOST: '127.0.0.1',
    });
    expect(j.status, j.output).toBe(0);
  });

  it('Jaeger is healthy and knows the demo services', async () => {
    expect((await fetch('http://127.0.0.1:13133/status')).ok).toBe(true);
    const services = await eventually(
      'services in Jaeger',
      async () => {
        const body = (await (await fetch(`${JAEGER}/api/v3/services`)).json()) as {
          services?: string[];
        };
        return body.services && body.services.length >= 6 ? body.services : undefined;
      },
      60_000,
      2000,
    );
    expect(services).toEqual(
      expect.arrayContaining(['gateway', 'users', 'orders', 'payments', 'inventory']),
    );
  });

  it('span metrics reach Prometheus and Jaeger\u2019s Monitor API reads them back', async () => {
    await eventually(
      'traces_span_metrics_calls_total in Prometheus',
      async () => {
        const r = await promQuery('sum by (service_name) (traces_span_metrics_calls_total)');
        return r.length >= 5 ? r : undefined;
      },
      90_000,
      5000,
    );
    const url = `${JAEGER}/api/metrics/calls?service=gateway&endTs=${Date.now()}&lookback=600000&step=60000&ratePer=60000`;
    const body = await eventually(
      'Monitor calls for gateway',
      async () => {
        const res = await fetch(url);
        if (!res.ok) throw new Error(`${res.status} ${await res.text()}`);
        const b = (await res.json()) as { metrics?: unknown[] };
        return b.metrics?.length ? b : undefined;
      },
      60_000,
      5000,
    );
    expect(body.metrics?.length).toBeGreaterThan(0);
  });

  it('VictoriaLogs is healthy and receives OTLP logs', async () => {
    expect(await (await fetch(`${VICTORIA_LOGS}/health`)).text()).toMatch(/OK/);
    const res = await fetch(`${VICTORIA_LOGS}/select/logsql/query`, {
      method: 'POST',
      body: new URLSearchParams({ query: '* | stats by (service.name) count() n', start: '1h' }),
    });
    const rows = (await res.text()).split('\n').filter(Boolean);
    expect(rows.length).toBeGreaterThanOrEqual(5);
  });
});
