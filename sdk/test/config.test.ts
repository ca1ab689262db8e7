import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BUNDLED_INSTRUMENTATIONS,
  parseResourceAttributes,
  resolveConfig,
} from '../src/config/env';
import { methodLabel } from '../src/instrument/http/route';
import { metrics, registry } from '../src/metrics/registry';

// Pure functions only: instrumentation is never tested in-process (the runner bypasses require hooks).
let written: string[] = [];
beforeEach(() => {
  written = [];
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
});
afterEach(() => vi.restoreAllMocks());

describe('resolveConfig', () => {
  it('uses the documented defaults', () => {
    const c = resolveConfig({}, {});
    expect(c).toMatchObject({
      disabled: false,
      tracesEndpoint: 'http://localhost:4318/v1/traces',
      logsEndpoint: 'http://localhost:4318/v1/logs',
      tracesProtocol: 'http/protobuf',
      sampler: 'parentbased_always_on',
      samplerRatio: 1,
      metricsPort: 9464,
      metricsServer: true,
      logLevel: 'info',
      shutdownTimeoutMs: 2000,
      bsp: {
        scheduledDelayMillis: 5000,
        maxQueueSize: 2048,
        maxExportBatchSize: 512,
        exportTimeoutMillis: 30000,
      },
    });
    // every bundled instrumentation is on; each loads only if the app can resolve its library
    expect([...c.instrumentations].sort()).toEqual([...BUNDLED_INSTRUMENTATIONS].sort());
    expect(c.instrumentations).toContain('fastify');
    expect(c.instrumentations).toContain('mysql2');
    expect(c.instrumentationsNamed).toBe(false);
    expect(written).toEqual([]);
  });

  it('derives per-signal endpoints from the base endpoint, and takes the logs endpoint as a full URL', () => {
    const c = resolveConfig(
      {},
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318/',
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://loki:3100/otlp/v1/logs',
      },
    );
    expect(c.tracesEndpoint).toBe('http://jaeger:4318/v1/traces');
    expect(c.logsEndpoint).toBe('http://loki:3100/otlp/v1/logs');
  });

  it('honours the standard variables', () => {
    const c = resolveConfig(
      {},
      {
        OTEL_SERVICE_NAME: 'orders',
        OTEL_RESOURCE_ATTRIBUTES:
          'service.version=1.2.3,deployment.environment.name=prod,team=a%20b',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0.25',
        OTEL_SDK_DISABLED: 'TRUE',
        LOG_LEVEL: 'debug',
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg,@opentelemetry/instrumentation-amqplib',
        OTEL_EXPORTER_PROMETHEUS_PORT: '9466',
        OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      },
    );
    expect(c).toMatchObject({
      serviceName: 'orders',
      serviceVersion: '1.2.3',
      deploymentEnvironment: 'prod',
      tracesProtocol: 'http/json',
      logsProtocol: 'http/json',
      sampler: 'parentbased_traceidratio',
      samplerRatio: 0.25,
      disabled: true,
      logLevel: 'debug',
      metricsPort: 9466,
      metricsHost: '127.0.0.1',
    });
    expect(c.resourceAttributes.team).toBe('a b');
    expect(c.instrumentations.has('pg')).toBe(false);
    expect(c.instrumentations.has('amqplib')).toBe(false);
    expect(written).toEqual([]);
  });

  it('lets options override the environment', () => {
    const c = resolveConfig(
      { serviceName: 'x', metricsServer: false, disabled: false, logLevel: 'warn' },
      { OTEL_SERVICE_NAME: 'y', OTEL_SDK_DISABLED: 'true' },
    );
    expect(c).toMatchObject({
      serviceName: 'x',
      metricsServer: false,
      disabled: false,
      logLevel: 'warn',
    });
  });

  it('invents no version and no environment; an explicitly set NODE_ENV names the environment', () => {
    // the runner's own package.json may name a version: options and variables are what is tested
    const c = resolveConfig({ serviceVersion: undefined }, {});
    expect(c.deploymentEnvironment).toBeUndefined();
    expect(c.serviceVersion).not.toBe('0.0.0');
    expect(resolveConfig({}, { NODE_ENV: 'production' }).deploymentEnvironment).toBe('production');
    expect(
      resolveConfig(
        {},
        { NODE_ENV: 'production', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=eu' },
      ).deploymentEnvironment,
    ).toBe('eu');
    expect(
      resolveConfig({ deploymentEnvironment: 'opt' }, { NODE_ENV: 'x' }).deploymentEnvironment,
    ).toBe('opt');
  });

  it('reads OTEL_METRICS_EXPORTER as a list: prometheus (default), otlp, none', () => {
    const byDefault = resolveConfig({}, {});
    expect(byDefault.metricsServer).toBe(true);
    expect(byDefault.metricsPush).toBeUndefined();
    const otlp = resolveConfig({}, { OTEL_METRICS_EXPORTER: 'otlp' });
    expect(otlp.metricsServer).toBe(false);
    expect(otlp.metricsPush).toEqual({
      url: 'http://localhost:4318/v1/metrics',
      intervalMillis: 60000,
      timeoutMillis: 30000,
      delta: false,
    });
    const both = resolveConfig(
      {},
      {
        OTEL_METRICS_EXPORTER: 'prometheus, otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
        OTEL_METRIC_EXPORT_INTERVAL: '15000',
        OTEL_METRIC_EXPORT_TIMEOUT: '5000',
        OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Delta',
      },
    );
    expect(both.metricsServer).toBe(true);
    expect(both.metricsPush).toEqual({
      url: 'http://collector:4318/v1/metrics',
      intervalMillis: 15000,
      timeoutMillis: 5000,
      delta: true,
    });
    expect(
      resolveConfig(
        {},
        {
          OTEL_METRICS_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://mimir:9009/otlp/v1/metrics',
          OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'lowmemory',
        },
      ).metricsPush,
    ).toMatchObject({ url: 'http://mimir:9009/otlp/v1/metrics', delta: true });
    const none = resolveConfig({}, { OTEL_METRICS_EXPORTER: 'none' });
    expect(none.metricsServer).toBe(false);
    expect(none.metricsPush).toBeUndefined();
    expect(written).toEqual([]);
  });

  it.each([
    ['OTEL_METRIC_EXPORT_INTERVAL', '0', '60000'],
    ['OTEL_METRIC_EXPORT_TIMEOUT', '90000', '60000'],
    ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', 'sideways', 'cumulative'],
    ['OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'http/json', 'http/protobuf'],
  ])('with otlp metrics, %s=%s warns once and uses %s', (name, value, used) => {
    resolveConfig({}, { OTEL_METRICS_EXPORTER: 'otlp', [name]: value });
    resolveConfig({}, { OTEL_METRICS_EXPORTER: 'otlp', [name]: value });
    const lines = written
      .join('')
      .split('\n')
      .filter((l) => l.includes(name));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(used);
  });

  it.each([
    ['OTEL_METRICS_EXPORTER', 'console', 'ignoring it'],
    ['OTEL_TRACES_SAMPLER', 'sometimes', 'parentbased_always_on'],
    ['OTEL_TRACES_SAMPLER_ARG', 'abc', '1'],
    ['OTEL_EXPORTER_PROMETHEUS_PORT', '-1', '9464'],
    ['OTEL_EXPORTER_PROMETHEUS_PORT', '70000', '9464'],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url', 'http://localhost:4318'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc', 'http/protobuf'],
    ['OTEL_SDK_DISABLED', 'maybe', 'false'],
    ['OTEL_BSP_SCHEDULE_DELAY', '-5', '5000'],
    ['OTEL_LOG_LEVEL', 'loud', 'INFO'],
    ['LOG_LEVEL', 'chatty', 'info'],
    ['OTEL_NODE_ENABLED_INSTRUMENTATIONS', 'made-up-library', 'ignoring it'],
  ])('%s=%s warns once and uses %s', (name, value, used) => {
    resolveConfig({}, { [name]: value });
    resolveConfig({}, { [name]: value });
    const lines = written
      .join('')
      .split('\n')
      .filter((l) => l.includes(name));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(value);
    expect(lines[0]).toContain(used);
  });
});

describe('labels', () => {
  it('parses resource attributes and skips malformed entries', () => {
    expect(parseResourceAttributes('a=1, b = two ,broken,=x')).toEqual({ a: '1', b: 'two' });
  });
  it('folds unknown methods into _OTHER', () => {
    expect(methodLabel('GET')).toBe('GET');
    expect(methodLabel('HACK')).toBe('_OTHER');
  });
});

describe('metrics helper', () => {
  it('creates metrics in the SDK registry and returns the existing one for a known name', async () => {
    const a = metrics.counter({ name: 'test_things_total', help: 'Things.', labelNames: ['kind'] });
    const b = metrics.counter({ name: 'test_things_total', help: 'Things.', labelNames: ['kind'] });
    expect(b).toBe(a);
    a.inc({ kind: 'x' });
    let calls = 0;
    metrics.gauge({
      name: 'test_level',
      help: 'Level.',
      collect() {
        calls++;
        this.set(7);
      },
    });
    metrics.histogram({ name: 'test_seconds', help: 'Time.', buckets: [1, 2] }).observe(1.5);
    const text = await registry.metrics();
    expect(text).toContain('test_things_total{kind="x"} 1');
    expect(text).toContain('test_level 7');
    expect(text).toContain('test_seconds_bucket{le="2"} 1');
    expect(calls).toBe(1);
    expect(() => metrics.gauge({ name: 'test_things_total', help: 'clash' })).toThrow(TypeError);
  });
});
