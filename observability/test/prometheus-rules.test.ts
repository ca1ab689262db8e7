// Prometheus config and rules, checked by the real promtool of the pinned version.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { writeNativeConfig } from '../native/host-mapping.mjs';
import { backendBinary, run } from './backend-binaries.js';

const promDir = join(import.meta.dirname, '..', 'prometheus');
const rulesDir = join(promDir, 'rules');
const testsDir = join(promDir, 'tests');
const ruleFiles = readdirSync(rulesDir)
  .filter((f) => f.endsWith('.yml'))
  .map((f) => join(rulesDir, f));
const testFiles = readdirSync(testsDir)
  .filter((f) => f.endsWith('.yml'))
  .map((f) => join(testsDir, f));
const scratch = mkdtempSync(join(tmpdir(), 'o11y-promtool-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
const rules: Rule[] = ruleFiles.flatMap((f) =>
  (YAML.parse(readFileSync(f, 'utf8')) as RuleFile).groups.flatMap((g) => g.rules),
);

describe('prometheus config', () => {
  it('is accepted by promtool check config (compose form)', () => {
    const r = run(backendBinary('promtool'), ['check', 'config', join(promDir, 'prometheus.yml')]);
    expect(r.output).toContain('SUCCESS');
    expect(r.status, r.output).toBe(0);
  });

  it('is accepted by promtool check config (native form, after the host mapping)', () => {
    const native = join(scratch, 'prometheus.yml');
    writeNativeConfig(join(promDir, 'prometheus.yml'), native);
    const r = run(backendBinary('promtool'), ['check', 'config', native]);
    expect(r.status, r.output).toBe(0);
  });

  it('scrapes every service metrics port and every backend, with OpenMetrics first', () => {
    const cfg = YAML.parse(readFileSync(join(promDir, 'prometheus.yml'), 'utf8')) as {
      global: { scrape_interval: string; scrape_protocols: string[] };
      rule_files: string[];
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = cfg.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets));
    expect(targets.sort()).toEqual(
      [
        'gateway:9464',
        'users:9465',
        'orders:9466',
        'payments:9467',
        'inventory:9468',
        'shipping:9469',
        'loadgen:9470',
        'jaeger:8888',
        'jaeger:8889',
        'loki:3100',
        'grafana:3000',
        'prometheus:9090',
      ].sort(),
    );
    expect(cfg.global.scrape_protocols[0]).toBe('OpenMetricsText1.0.0');
    expect(cfg.global.scrape_interval).toBe('10s');
    expect(cfg.rule_files).toEqual(['rules/*.yml']);
  });
});

describe('prometheus rules', () => {
  it('pass promtool check rules', () => {
    const r = run(backendBinary('promtool'), ['check', 'rules', ...ruleFiles]);
    expect(r.status, r.output).toBe(0);
  });

  it('pass their unit tests (promtool test rules)', () => {
    const r = run(backendBinary('promtool'), ['test', 'rules', ...testFiles]);
    expect(r.status, r.output).toBe(0);
  });

  it('follow level:metric:operations naming', () => {
    for (const r of rules.filter((x) => x.record)) {
      expect(r.record).toMatch(/^[a-z_]+:[a-z_]+:[a-z0-9_]+$/);
    }
  });

  it('every rule has a unit test', () => {
    const tests = testFiles.map((f) => readFileSync(f, 'utf8')).join('\n');
    const untested = rules.filter((r) => {
      if (r.record)
        return !new RegExp(`expr: ${r.record.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s`).test(
          tests,
        );
      return !new RegExp(`alertname: ${r.alert}\\s`).test(tests);
    });
    expect(untested.map((r) => r.record ?? r.alert)).toEqual([]);
  });

  it('includes the required alerts', () => {
    expect(rules.filter((r) => r.alert).map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'HighErrorRatio',
        'HighLatencyP99',
        'TargetDown',
        'CircuitBreakerOpen',
        'SagaCompensationsSpiking',
        'AvailabilitySLOFastBurn',
        'AvailabilitySLOSlowBurn',
        'LatencySLOFastBurn',
        'LatencySLOSlowBurn',
      ]),
    );
  });
});
