// The compose -> native transform: hostnames become 127.0.0.1, compose-only backends disappear.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { mapConfig, mapHostPorts } from '../native/host-mapping.mjs';

const read = (p: string): unknown =>
  YAML.parse(readFileSync(join(import.meta.dirname, '..', p), 'utf8'));

describe('host mapping', () => {
  it('rewrites known hostnames with their port, also inside URLs', () => {
    expect(mapHostPorts('gateway:9464')).toBe('127.0.0.1:9464');
    expect(mapHostPorts('http://prometheus:9090/api')).toBe('http://127.0.0.1:9090/api');
    expect(mapHostPorts('amqp://guest:guest@rabbitmq:5672')).toBe(
      'amqp://guest:guest@127.0.0.1:5672',
    );
  });

  it('leaves unknown hosts, hostnames without a port and longer names alone', () => {
    expect(mapHostPorts('example.com:9090')).toBe('example.com:9090');
    expect(mapHostPorts('service_name: gateway')).toBe('service_name: gateway');
    expect(mapHostPorts('my-gateway:8080')).toBe('my-gateway:8080');
    expect(mapHostPorts('gateway:8080x')).toBe('gateway:8080x');
  });

  it('drops scrape jobs of backends that do not run natively and maps the rest', () => {
    const native = mapConfig(read('prometheus/prometheus.yml')) as {
      scrape_configs: {
        job_name: string;
        static_configs: { targets: string[]; labels?: object }[];
      }[];
    };
    const jobs = native.scrape_configs.map((j) => j.job_name);
    expect(jobs).not.toContain('loki');
    expect(jobs).not.toContain('grafana');
    expect(jobs).toEqual(['services', 'jaeger', 'jaeger-spanmetrics', 'prometheus']);
    const targets = native.scrape_configs.flatMap((j) =>
      j.static_configs.flatMap((s) => s.targets),
    );
    expect(targets.every((t) => t.startsWith('127.0.0.1:'))).toBe(true);
    expect(targets).toContain('127.0.0.1:9464');
    // The label naming the service survives the mapping.
    expect(native.scrape_configs[0]?.static_configs[0]?.labels).toEqual({
      service_name: 'gateway',
    });
  });

  it('points Jaeger at the native Prometheus and keeps its env-var listen host', () => {
    const native = JSON.stringify(mapConfig(read('jaeger/jaeger.yml')));
    expect(native).toContain('http://127.0.0.1:9090');
    expect(native).not.toMatch(/prometheus:9090/);
    expect(native).toContain('${env:JAEGER_LISTEN_HOST:-0.0.0.0}:4318');
  });
});
