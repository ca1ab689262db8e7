// The JSON Grafana provisions is generated from src/; this fails when someone edited the source
// and forgot `npm run dashboards -w grafana`, or edited the JSON by hand.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import { renderDashboards } from '../src/render.js';
import { dashboardsDir } from './support/paths.js';

describe('committed dashboard JSON', () => {
  const rendered = renderDashboards();

  it('has exactly one file per dashboard in the source', () => {
    const onDisk = readdirSync(dashboardsDir)
      .filter((f) => f.endsWith('.json'))
      .sort();
    expect(onDisk, 'run `npm run dashboards -w grafana`').toEqual([...rendered.keys()].sort());
  });

  for (const [file, text] of rendered) {
    it(`${file} is up to date with src/ (else run \`npm run dashboards -w grafana\`)`, () => {
      const committed = readFileSync(join(dashboardsDir, file), 'utf8');
      expect(committed === text, `${file} is stale: run \`npm run dashboards -w grafana\``).toBe(
        true,
      );
    });
  }

  it('gives every dashboard its fixed uid', () => {
    const uids = [...rendered.values()].map((t) => (JSON.parse(t) as { uid: string }).uid).sort();
    expect(uids).toEqual([
      'o11y-overview',
      'o11y-resilience',
      'o11y-runtime',
      'o11y-service',
      'o11y-slo',
    ]);
  });
});
