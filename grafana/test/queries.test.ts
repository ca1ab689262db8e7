// Every query a panel runs must parse: PromQL with Prometheus' own Lezer grammar, LogQL with
// Grafana's. Grafana variables are substituted first (support/promql.ts).
import { describe, expect, it } from 'vitest';

import { loadDashboards, queriesOf } from './support/dashboards.js';
import { parseLogql, parsePromql } from './support/promql.js';

const queries = queriesOf(loadDashboards());

describe('dashboard queries', () => {
  it('exist in both languages', () => {
    expect(queries.filter((q) => q.language === 'promql').length).toBeGreaterThan(50);
    expect(queries.filter((q) => q.language === 'logql').length).toBeGreaterThanOrEqual(2);
  });

  it('parse as PromQL without error nodes', () => {
    const failures = queries
      .filter((q) => q.language === 'promql')
      .flatMap((q) =>
        parsePromql(q.expr).errors.map((e) => `${q.dashboard} / ${q.panel}: ${e}\n  ${q.expr}`),
      );
    expect(failures).toEqual([]);
  });

  it('parse as LogQL without error nodes', () => {
    const failures = queries
      .filter((q) => q.language === 'logql')
      .flatMap((q) =>
        parseLogql(q.expr).errors.map((e) => `${q.dashboard} / ${q.panel}: ${e}\n  ${q.expr}`),
      );
    expect(failures).toEqual([]);
  });

  it('the parsers do reject broken queries (the checks above can fail)', () => {
    expect(parsePromql('sum(rate(x[5m])').errors).not.toEqual([]);
    expect(parsePromql('rate(x{a="b"}[$__rate_interval]) or').errors).not.toEqual([]);
    expect(parseLogql('{service_name="x"} | [[').errors).not.toEqual([]);
  });

  it('end in a fallback, so a healthy idle service shows 0 rather than "No data"', () => {
    const missing = queries
      .filter((q) => q.language === 'promql')
      .filter((q) => !parsePromql(q.expr).neverEmpty)
      .map((q) => `${q.dashboard} / ${q.panel}: ${q.expr}`);
    expect(missing).toEqual([]);
  });

  it('the fallback check tells empty-able queries from safe ones', () => {
    expect(parsePromql('sum(rate(x_total[$__rate_interval]))').neverEmpty).toBe(false);
    expect(parsePromql('sum(rate(x_total[$__rate_interval])) > 0').neverEmpty).toBe(false);
    expect(parsePromql('sum(rate(x_total[$__rate_interval])) or vector(0)').neverEmpty).toBe(true);
    expect(
      parsePromql('1 - ((sum(x) or vector(0)) / (sum(y) > 0) or vector(0)) / (1 - 0.999)')
        .neverEmpty,
    ).toBe(true);
    expect(parsePromql('sum by (a) (x) or on() vector(0)').neverEmpty).toBe(true);
  });

  it('LogQL metric queries end in a fallback too', () => {
    const metricQueries = queries.filter((q) => q.language === 'logql' && q.panelType !== 'logs');
    expect(metricQueries.length).toBeGreaterThan(0);
    for (const q of metricQueries) expect(q.expr, q.panel).toMatch(/ or on\(\) vector\(0\)$/);
  });
});
