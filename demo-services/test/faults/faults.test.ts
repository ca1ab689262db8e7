// The fault suite (`npm run test:faults`): every fault and attack of the table in
// demo-services/README.md, reproduced with real processes, a real PostgreSQL and Redis of its own
// and TCP proxies on the links it breaks; then the invariants, audited over every order it placed.
import { afterEach, describe, expect, it } from 'vitest';
import { useFaultWorld, faultWorld } from './environment.js';
import { auditOrders } from './audit.js';
import { stockDrift } from './audit.js';
import { renderReport, publishReport, type RowResult } from './report.js';
import { ROWS, takeCovered } from './rows.js';
import './money.js';
import './edge.js';
import './dependencies.js';
import './messaging.js';
import './access.js';
import './telemetry.js';

useFaultWorld();

const outcomes = new Map<string, 'pass' | 'fail'>();
afterEach(({ task }) => {
  const failed = (task.result?.errors?.length ?? 0) > 0;
  for (const row of takeCovered())
    if (failed || !outcomes.has(row)) outcomes.set(row, failed ? 'fail' : 'pass');
});

describe('audit', () => {
  it('over every order the suite placed: no charge kept, no stock held, every confirmed order shipped, stock conserved, no crash, nothing forwarded outside', async () => {
    const { stack, ledger, canary } = faultWorld();
    const all = await stack.db('orders').query<{ id: string }>('SELECT id FROM orders');
    const ids = all.rows.map((r) => r.id);
    const violations = await auditOrders(ids, 120_000);
    const drift = await stockDrift();
    const results = new Map<string, RowResult>();
    for (const row of Object.values(ROWS)) {
      const mine = new Set(ledger.get(row) ?? []);
      results.set(row, {
        test: outcomes.get(row) ?? 'not run',
        orders: mine.size,
        violations: violations.filter((v) => mine.has(v.split(':')[0]!)).length,
      });
    }
    publishReport(
      renderReport(results, {
        orders: ids.length,
        violations,
        stockDrift: drift,
        crashes: stack.crashes.map((c) => `${c.service} exited ${c.code}`),
        forwardedOutside: canary.hits,
      }),
    );
    expect(violations).toEqual([]);
    expect(drift).toEqual([]);
    expect(stack.crashes).toEqual([]);
    expect(canary.hits).toEqual([]);
  });
});
