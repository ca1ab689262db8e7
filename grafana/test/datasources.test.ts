// Provisioning: the datasources exist under the uids the dashboards and cross-links use, the
// links between them are the ones the walkthrough relies on, and every datasource a panel uses
// resolves to a provisioned one.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

import { loadDashboards, panelsOf } from './support/dashboards.js';
import { parseLogql, parsePromql } from './support/promql.js';
import { grafanaDir, repoDir } from './support/paths.js';

interface Datasource {
  name: string;
  uid: string;
  type: string;
  url: string;
  jsonData: Record<string, unknown>;
}

// Grafana expands $VAR / ${VAR} in provisioning files and `$$` stands for a literal `$`.
const raw = readFileSync(
  join(grafanaDir, 'provisioning', 'datasources', 'datasources.yml'),
  'utf8',
);
const provisioned = parse(raw) as { apiVersion: number; datasources: Datasource[] };
const byUid = new Map(provisioned.datasources.map((d) => [d.uid, d]));
const unescape = (s: string) => s.replaceAll('$$', '$');

describe('provisioned datasources', () => {
  it('have the fixed uids of the contract, pointing at the compose hostnames', () => {
    expect(provisioned.apiVersion).toBe(1);
    expect(byUid.get('prometheus')).toMatchObject({
      type: 'prometheus',
      url: 'http://prometheus:9090',
    });
    expect(byUid.get('loki')).toMatchObject({ type: 'loki', url: 'http://loki:3100' });
    expect(byUid.get('jaeger')).toMatchObject({ type: 'jaeger', url: 'http://jaeger:16686' });
  });

  it('Prometheus timeInterval equals the scrape interval of observability/prometheus/prometheus.yml', () => {
    const prom = parse(
      readFileSync(join(repoDir, 'observability', 'prometheus', 'prometheus.yml'), 'utf8'),
    ) as {
      global: { scrape_interval: string };
    };
    expect(byUid.get('prometheus')?.jsonData.timeInterval).toBe(prom.global.scrape_interval);
  });

  it('Prometheus exemplars link to Jaeger by the trace_id exemplar label', () => {
    const destinations = byUid.get('prometheus')?.jsonData.exemplarTraceIdDestinations as {
      name: string;
      datasourceUid?: string;
      url?: string;
    }[];
    expect(destinations).toContainEqual(
      expect.objectContaining({ name: 'trace_id', datasourceUid: 'jaeger' }),
    );
    for (const d of destinations) expect(d.name).toBe('trace_id');
  });

  it('Loki trace_id (structured metadata) links to Jaeger with a label matcher, not a regex on the line', () => {
    const fields = byUid.get('loki')?.jsonData.derivedFields as {
      name: string;
      matcherType: string;
      matcherRegex: string;
      datasourceUid?: string;
      url: string;
    }[];
    const internal = fields.find((f) => f.datasourceUid === 'jaeger');
    expect(internal).toMatchObject({
      name: 'trace_id',
      matcherType: 'label',
      matcherRegex: 'trace_id',
    });
    expect(unescape(internal?.url ?? '')).toBe('${__value.raw}');
    for (const f of fields) expect(f.matcherType).toBe('label');
  });

  it('Jaeger links to the logs of the whole trace across all services', () => {
    const logs = byUid.get('jaeger')?.jsonData.tracesToLogsV2 as {
      datasourceUid: string;
      customQuery: boolean;
      query: string;
    };
    expect(logs.datasourceUid).toBe('loki');
    expect(logs.customQuery).toBe(true);
    const query = unescape(logs.query);
    expect(query).toBe('{service_name=~".+"} | trace_id="${__trace.traceId}"');
    expect(
      parseLogql(query.replace('${__trace.traceId}', '0123456789abcdef0123456789abcdef')).errors,
    ).toEqual([]);
  });

  it("Jaeger links to the RED metrics of the span's service, with queries that parse", () => {
    const metrics = byUid.get('jaeger')?.jsonData.tracesToMetrics as {
      datasourceUid: string;
      tags: { key: string; value: string }[];
      queries: { name: string; query: string }[];
    };
    expect(metrics.datasourceUid).toBe('prometheus');
    expect(metrics.tags).toContainEqual({ key: 'service.name', value: 'service_name' });
    expect(metrics.queries.length).toBeGreaterThanOrEqual(3);
    for (const q of metrics.queries) {
      const expr = unescape(q.query).replaceAll('$__tags', 'service_name="gateway"');
      expect(parsePromql(expr).errors, q.name).toEqual([]);
    }
  });

  it('other environment references are only ones compose sets for Grafana', () => {
    const compose = parse(readFileSync(join(repoDir, 'docker-compose.yml'), 'utf8'), {
      merge: true,
    }) as {
      services: { grafana: { environment: Record<string, string> } };
    };
    const values = raw
      .split('\n')
      .filter((l) => !l.trim().startsWith('#'))
      .join('\n');
    const referenced = [...values.replaceAll('$$', '').matchAll(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g)].map(
      (m) => m[1] ?? '',
    );
    for (const v of referenced) expect(compose.services.grafana.environment, v).toHaveProperty(v);
  });
});

describe('dashboard provider', () => {
  it('loads the generated JSON from the directory compose mounts', () => {
    const providers = parse(
      readFileSync(join(grafanaDir, 'provisioning', 'dashboards', 'dashboards.yml'), 'utf8'),
    ) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(providers.providers[0]).toMatchObject({
      type: 'file',
      options: { path: '/etc/grafana/dashboards' },
    });
    expect(readFileSync(join(repoDir, 'docker-compose.yml'), 'utf8')).toContain(
      './grafana/dashboards:/etc/grafana/dashboards:ro',
    );
  });
});

describe('datasources used by panels', () => {
  it.each(loadDashboards().map((d) => [d.file, d] as const))(
    '%s: every panel datasource resolves to a provisioned uid',
    (_f, { json }) => {
      const variables = new Map((json.templating.list ?? []).map((v) => [v.name, v]));
      const resolve = (uid: string | undefined): string | undefined => {
        const m = /^\$\{?([a-z_]+)\}?$/.exec(uid ?? '');
        if (!m) return uid;
        const v = variables.get(m[1] ?? '');
        expect(v?.type, `variable ${m[1]}`).toBe('datasource');
        return typeof v?.current?.value === 'string' ? v.current.value : undefined;
      };
      const refs = [
        ...panelsOf(json).flatMap((p) => [
          p.datasource,
          ...(p.targets ?? []).map((t) => t.datasource),
        ]),
        ...(json.templating.list ?? []).map((v) => v.datasource),
      ].filter((r) => r !== undefined);
      expect(refs.length).toBeGreaterThan(0);
      for (const ref of refs) {
        const uid = resolve(ref.uid);
        const ds = byUid.get(uid ?? '');
        expect(ds, `datasource ${ref.uid} -> ${uid} is not provisioned`).toBeDefined();
        expect(ds?.type).toBe(ref.type);
      }
    },
  );
});
