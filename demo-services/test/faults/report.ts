// The suite's table: per row, the test's outcome, the orders it placed and the invariant
// violations among them; then the checks over everything (all orders, stock, processes, requests
// that left the upstreams). Printed, and written to .cache/faults-report.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ROWS } from './rows.js';

export interface RowResult {
  test: 'pass' | 'fail' | 'not run';
  orders: number;
  violations: number;
}

export interface Totals {
  orders: number;
  violations: string[];
  stockDrift: string[];
  crashes: string[];
  forwardedOutside: string[];
}

export function renderReport(results: Map<string, RowResult>, totals: Totals): string {
  const lines = [
    '| row | test | orders placed | invariant violations |',
    '| --- | --- | ---: | ---: |',
  ];
  for (const row of Object.values(ROWS)) {
    const r = results.get(row) ?? { test: 'not run', orders: 0, violations: 0 };
    if (row === ROWS.recoveryProbes) {
      // orders placed between rows to see the saga healthy again: audited, not a test of their own
      if (r.orders > 0) lines.push(`| ${row} | - | ${r.orders} | ${r.violations} |`);
      continue;
    }
    lines.push(`| ${row} | ${r.test} | ${r.orders || '-'} | ${r.orders ? r.violations : '-'} |`);
  }
  lines.push(
    '| 16 compose hardening | grafana/test/compose-security.test.ts | - | - |',
    '',
    '| over the whole run | count |',
    '| --- | ---: |',
    `| orders placed | ${totals.orders} |`,
    `| invariant violations (charge kept, stock held, never shipped, still pending) | ${totals.violations.length} |`,
    `| products whose stock + reserved changed | ${totals.stockDrift.length} |`,
    `| process crashes | ${totals.crashes.length} |`,
    `| requests forwarded outside the upstreams | ${totals.forwardedOutside.length} |`,
  );
  return lines.join('\n');
}

export function publishReport(text: string): void {
  const dir = fileURLToPath(new URL('../../.cache/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}faults-report.md`, `${text}\n`);
  process.stdout.write(`\nfault suite:\n${text}\n(written to ${dir}faults-report.md)\n`);
}
