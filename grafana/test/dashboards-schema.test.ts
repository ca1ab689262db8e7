// Dashboards validate against the foundation SDK's dashboard schema (its generated types; see
// support/schema.ts for why types and not a JSON schema), and against the structural limits
// the SDK's builders enforce at build time.
import { describe, expect, it } from 'vitest';

import { loadDashboards, panelsOf } from './support/dashboards.js';
import { checkAgainstSdkTypes } from './support/schema.js';

const dashboards = loadDashboards();

/** Copies of the first dashboard with one mistake each, to show the check can fail. */
function brokenVariants(text: string): { file: string; text: string; expect: RegExp }[] {
  type Editable = { title: unknown; graphTooltip: unknown; panels: Record<string, unknown>[] };
  const variant = (
    file: string,
    expectMessage: RegExp,
    edit: (d: Editable, panel: Record<string, unknown>) => void,
  ) => {
    const d = JSON.parse(text) as Editable;
    const panel = d.panels.find((p) => p.type === 'timeseries');
    if (!panel) throw new Error('no timeseries panel');
    edit(d, panel);
    return { file, text: JSON.stringify(d, null, 2), expect: expectMessage };
  };
  return [
    variant('broken-type.json', /'number' is not assignable to type 'string'/, (d) => {
      d.title = 42;
    }),
    variant('broken-enum.json', /DashboardCursorSync/, (d) => {
      d.graphTooltip = 'sometimes';
    }),
    variant('broken-key.json', /colour/, (_d, p) => {
      p.colour = 'red';
    }),
    variant('broken-option.json', /upside-down/, (_d, p) => {
      (p.options as { legend: { placement: string } }).legend.placement = 'upside-down';
    }),
  ];
}

describe('dashboard JSON against the foundation SDK types', () => {
  const [first] = dashboards;
  if (!first) throw new Error('no dashboards');
  const broken = brokenVariants(first.text);
  // One compiler run for all files: building the program is the slow part.
  const results = checkAgainstSdkTypes([...dashboards, ...broken]);

  it.each(dashboards.map((d) => d.file))('%s type-checks as the SDK Dashboard', (file) => {
    expect(results.get(file)).toEqual([]);
  });

  it.each(broken.map((b) => [b.file, b] as const))('the check rejects %s', (file, b) => {
    const errors = results.get(file) ?? [];
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(b.expect);
  });
});

describe('structural limits of the SDK builders', () => {
  it.each(dashboards.map((d) => [d.file, d.json] as const))(
    '%s: schemaVersion, uid, and panel sizes',
    (_f, json) => {
      expect((json as { schemaVersion?: number }).schemaVersion).toBeGreaterThanOrEqual(39);
      expect(json.uid).toMatch(/^o11y-[a-z]+$/);
      for (const p of panelsOf(json)) {
        expect(p.type.length).toBeGreaterThan(0);
        expect(p.gridPos?.w).toBeGreaterThan(0);
        expect(p.gridPos?.w).toBeLessThanOrEqual(24);
        expect(p.gridPos?.h).toBeGreaterThan(0);
      }
    },
  );
});
