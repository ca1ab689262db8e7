import { Histogram, Registry, type OpenMetricsContentType } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { RedHistogram } from '../src/metrics/red-histogram';

const LABELS = ['method', 'route', 'status'] as const;
type L = (typeof LABELS)[number];

function registries() {
  const make = () => {
    const r = new Registry<OpenMetricsContentType>();
    r.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    return r;
  };
  const standardRegistry = make();
  const redRegistry = make();
  const config = {
    name: 'req_seconds',
    help: 'h',
    labelNames: LABELS,
    buckets: [0.01, 0.1, 1],
    enableExemplars: true,
  };
  const standard = new Histogram<L>({ ...config, registers: [standardRegistry] });
  const red = new RedHistogram<L>({ ...config, registers: [redRegistry] });
  return { standard, red, standardRegistry, redRegistry };
}

// Exemplar timestamps differ by the clock; everything else must be identical.
const withoutTimestamps = (text: string) => text.replace(/(\} [0-9.e+-]+) [0-9.]+$/gm, '$1');

describe('RedHistogram', () => {
  it('serves exactly what prom-client serves for the same observations, exemplars included', async () => {
    const { standard, red, standardRegistry, redRegistry } = registries();
    const observations: [string, string, number, number, string | undefined][] = [
      ['GET', '/a', 200, 0.005, 'a'.repeat(32)],
      ['GET', '/a', 200, 0.05, 'b'.repeat(32)],
      ['GET', '/a', 200, 0.05, 'c'.repeat(32)],
      ['GET', '/a', 500, 0.5, undefined],
      ['POST', '/b', 201, 3, 'd'.repeat(32)],
      ['GET', '/a', 200, 7, 'e'.repeat(32)],
    ];
    for (const [method, route, status, value, traceId] of observations) {
      const labels = { method, route, status };
      const exemplar = traceId ? { trace_id: traceId, span_id: '1'.repeat(16) } : undefined;
      standard.observe({ labels, value, exemplarLabels: (exemplar ?? {}) as never });
      red.record(`${method} ${status} ${route}`, labels, value, exemplar);
    }
    const served = withoutTimestamps(await redRegistry.metrics());
    expect(served).toBe(withoutTimestamps(await standardRegistry.metrics()));
    expect(served).toContain('trace_id="cccccccccccccccccccccccccccccccc"');
    expect(served).toMatch(/req_seconds_count\{method="GET",route="\/a",status="200"\} 4/);
  });

  it('starts over after a reset', async () => {
    const { red, redRegistry } = registries();
    red.record('k', { method: 'GET', route: '/a', status: 200 }, 0.05, undefined);
    redRegistry.resetMetrics();
    red.record('k', { method: 'GET', route: '/a', status: 200 }, 0.05, undefined);
    expect(await redRegistry.metrics()).toMatch(/req_seconds_count\{[^}]*\} 1$/m);
  });
});
