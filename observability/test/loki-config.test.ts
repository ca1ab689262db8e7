// Loki cannot be run here (its Go module is AGPL and the project builds no AGPL code), so its
// config is checked structurally: the keys below are the ones Loki 3 refuses to start without
// for OTLP ingestion, plus the choices the dashboards and trace links depend on. Compose runs the
// real Loki with this file (its health check fails on an invalid config).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

interface LokiConfig {
  [key: string]: unknown;
  auth_enabled: boolean;
  server: { http_listen_port: number };
  common: { storage: { filesystem: { chunks_directory: string } }; replication_factor: number };
  schema_config: {
    configs: { store: string; schema: string; object_store: string; from: string }[];
  };
  limits_config: {
    allow_structured_metadata: boolean;
    retention_period: string;
    ingestion_rate_mb: number;
    ingestion_burst_size_mb: number;
    otlp_config: {
      resource_attributes: { attributes_config: { action: string; attributes: string[] }[] };
      log_attributes: { action: string; attributes: string[] }[];
    };
  };
  compactor: {
    retention_enabled: boolean;
    delete_request_store: string;
    working_directory: string;
  };
}

const cfg = YAML.parse(
  readFileSync(join(import.meta.dirname, '..', 'loki', 'loki.yml'), 'utf8'),
) as LokiConfig;

// Top-level blocks of Loki 3's configuration reference; a typo here makes Loki refuse to start.
const LOKI_TOP_LEVEL = new Set([
  'target',
  'auth_enabled',
  'ballast_bytes',
  'server',
  'distributor',
  'querier',
  'query_scheduler',
  'frontend',
  'query_range',
  'ruler',
  'ingester_client',
  'ingester',
  'pattern_ingester',
  'index_gateway',
  'bloom_build',
  'bloom_gateway',
  'storage_config',
  'chunk_store_config',
  'schema_config',
  'compactor',
  'limits_config',
  'frontend_worker',
  'table_manager',
  'memberlist',
  'runtime_config',
  'operational_config',
  'tracing',
  'analytics',
  'common',
  'query_engine',
  'kafka_config',
  'ui',
  'dataobj',
  'profiling',
]);

describe('loki config (structural; the Loki binary is not built here)', () => {
  it('uses only known top-level blocks', () => {
    expect(Object.keys(cfg).filter((k) => !LOKI_TOP_LEVEL.has(k))).toEqual([]);
  });

  it('listens on 3100 without multi-tenancy', () => {
    expect(cfg.server.http_listen_port).toBe(3100);
    expect(cfg.auth_enabled).toBe(false);
    expect(cfg.common.replication_factor).toBe(1);
  });

  it('stores on the filesystem with schema v13 on tsdb (required for OTLP)', () => {
    const last = cfg.schema_config.configs.at(-1);
    expect(last).toMatchObject({ store: 'tsdb', schema: 'v13', object_store: 'filesystem' });
    expect(last?.from).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(cfg.common.storage.filesystem.chunks_directory).toMatch(/^\/loki\//);
  });

  it('allows structured metadata and keeps trace_id there, service.name as index label', () => {
    const limits = cfg.limits_config;
    expect(limits.allow_structured_metadata).toBe(true);
    const indexed = limits.otlp_config.resource_attributes.attributes_config
      .filter((a) => a.action === 'index_label')
      .flatMap((a) => a.attributes);
    expect(indexed).toContain('service.name');
    const metadata = limits.otlp_config.log_attributes
      .filter((a) => a.action === 'structured_metadata')
      .flatMap((a) => a.attributes);
    expect(metadata).toContain('trace_id');
  });

  it('enforces retention through the compactor and limits ingestion', () => {
    expect(cfg.limits_config.retention_period).toMatch(/^\d+[hd]$/);
    expect(cfg.compactor.retention_enabled).toBe(true);
    // Loki 3 refuses retention without a delete request store.
    expect(cfg.compactor.delete_request_store).toBe('filesystem');
    expect(cfg.limits_config.ingestion_rate_mb).toBeGreaterThan(0);
    expect(cfg.limits_config.ingestion_burst_size_mb).toBeGreaterThanOrEqual(
      cfg.limits_config.ingestion_rate_mb,
    );
  });
});
