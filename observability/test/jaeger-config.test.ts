// Jaeger's config, checked by the real jaeger binary of the pinned version (`jaeger validate`),
// in both forms: compose (listen on 0.0.0.0, prometheus:9090) and native (after the host mapping).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { writeNativeConfig } from '../native/host-mapping.mjs';
import { backendBinary, run } from './backend-binaries.js';

const source = join(import.meta.dirname, '..', 'jaeger', 'jaeger.yml');
const scratch = mkdtempSync(join(tmpdir(), 'o11y-jaeger-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface JaegerConfig {
  service: {
    extensions: string[];
    pipelines: Record<string, { receivers: string[]; exporters: string[] }>;
    telemetry: { metrics: { readers: { pull: { exporter: { prometheus: { port: number } } } }[] } };
  };
  extensions: {
    healthcheckv2: { http: { endpoint: string } };
    jaeger_query: { storage: { traces: string; metrics: string } };
    jaeger_storage: {
      backends: Record<string, { badger?: { ttl: { spans: string }; ephemeral: boolean } }>;
      metric_backends: Record<
        string,
        { prometheus: { endpoint: string; normalize_calls: boolean; normalize_duration: boolean } }
      >;
    };
  };
  receivers: { otlp: { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } } };
  exporters: { prometheus: { endpoint: string } };
}
const cfg = YAML.parse(readFileSync(source, 'utf8')) as JaegerConfig;

describe('jaeger config', () => {
  it('is accepted by jaeger validate (compose form)', () => {
    const r = run(backendBinary('jaeger'), ['validate', '--config', `file:${source}`], {
      JAEGER_LISTEN_HOST: '',
    });
    expect(r.status, r.output).toBe(0);
  });

  it('is accepted by jaeger validate (native form, after the host mapping)', () => {
    const native = join(scratch, 'jaeger.yml');
    writeNativeConfig(source, native);
    const r = run(backendBinary('jaeger'), ['validate', '--config', `file:${native}`], {
      JAEGER_LISTEN_HOST: '127.0.0.1',
      JAEGER_BADGER_DIR: join(scratch, 'badger'),
    });
    expect(r.status, r.output).toBe(0);
  });

  it('listens on the contract ports, host from JAEGER_LISTEN_HOST', () => {
    const host = '${env:JAEGER_LISTEN_HOST:-0.0.0.0}';
    expect(cfg.receivers.otlp.protocols.grpc.endpoint).toBe(`${host}:4317`);
    expect(cfg.receivers.otlp.protocols.http.endpoint).toBe(`${host}:4318`);
    expect(cfg.extensions.healthcheckv2.http.endpoint).toBe(`${host}:13133`);
    expect(cfg.exporters.prometheus.endpoint).toBe(`${host}:8889`);
    expect(cfg.service.telemetry.metrics.readers[0]?.pull.exporter.prometheus.port).toBe(8888);
  });

  it('keeps traces on disk by age and feeds the Monitor tab from Prometheus span metrics', () => {
    const store =
      cfg.extensions.jaeger_storage.backends[cfg.extensions.jaeger_query.storage.traces];
    expect(store?.badger?.ephemeral).toBe(false);
    expect(store?.badger?.ttl.spans).toBe('24h');
    const metrics =
      cfg.extensions.jaeger_storage.metric_backends[cfg.extensions.jaeger_query.storage.metrics];
    expect(metrics?.prometheus).toEqual({
      endpoint: 'http://prometheus:9090',
      normalize_calls: true,
      normalize_duration: true,
    });
    expect(cfg.service.pipelines.traces?.exporters).toContain('spanmetrics');
    expect(cfg.service.pipelines['metrics/spanmetrics']).toEqual({
      receivers: ['spanmetrics'],
      exporters: ['prometheus'],
    });
  });
});
