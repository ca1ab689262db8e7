// (5) payments faults switched at runtime show up where an operator looks: an error rate fires
// HighErrorRatio and makes sagas compensate; 300 ms of latency moves payments' P99 (recording
// rule and dashboard query) into 0.25..0.5 s. Both are reset afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  newSession,
  placeOrder,
  productInStock,
  promQuery,
  promValue,
  setPaymentsFaults,
  type Session,
} from './backends.js';
import { expand, panelQueries } from './dashboards.js';

let session: Session;
let productId: string;
let traffic: NodeJS.Timeout | undefined;

/** Orders at ~4/s on top of the load generator, so payments sees steady traffic. */
function startTraffic() {
  traffic = setInterval(() => {
    placeOrder(session, productId).catch(() => {});
  }, 250);
}

beforeAll(async () => {
  session = await newSession();
  productId = await productInStock(session);
  startTraffic();
});

afterAll(async () => {
  clearInterval(traffic);
  await setPaymentsFaults({ errorRate: 0, latencyMs: 0 });
});

const sagaCompensations = async () =>
  Number((await promQuery('sum(saga_compensations_total)'))[0]?.value[1] ?? 0);

describe('payments fault injection', () => {
  it('an error rate fires HighErrorRatio for payments and makes sagas compensate', async () => {
    const before = await sagaCompensations();
    await setPaymentsFaults({ errorRate: 0.5, latencyMs: 0 });
    const firing = await eventually(
      'HighErrorRatio firing for payments',
      async () => {
        const r = await promQuery(
          'ALERTS{alertname="HighErrorRatio",alertstate="firing",service_name="payments"}',
        );
        return r.length ? r : undefined;
      },
      240_000,
      5000,
    );
    expect(firing[0]?.metric.severity).toBe('warning');
    const after = await eventually(
      'saga compensations rising',
      async () => {
        const v = await sagaCompensations();
        return v > before ? v : undefined;
      },
      60_000,
      5000,
    );
    expect(after).toBeGreaterThan(before);
    const faults = await setPaymentsFaults({ errorRate: 0 });
    expect(faults.errorRate).toBe(0);
  });

  it('300 ms of latency moves the payments P99 into 0.25..0.5 s', async () => {
    await setPaymentsFaults({ errorRate: 0, latencyMs: 300 });
    const inRange = (v: number | undefined) => v !== undefined && v >= 0.25 && v <= 0.5;
    const p99 = await eventually(
      'service:http_server_request_duration_seconds:p99_5m{service_name="payments"} in 0.25..0.5',
      async () => {
        const v = await promValue('service:http_server_request_duration_seconds:p99_5m', {
          service_name: 'payments',
        });
        return inRange(v) ? v : undefined;
      },
      180_000,
      5000,
    );
    expect(p99).toBeGreaterThanOrEqual(0.25);

    // The service dashboard's P99 panel, for payments, agrees.
    const panel = panelQueries().find(
      (q) =>
        q.dashboard === 'o11y-service' &&
        /histogram_quantile\(0\.99, sum by \(le\) \(rate\(http_server_request_duration_seconds_bucket/.test(
          q.expr,
        ),
    );
    expect(panel, 'P99 panel of the service dashboard').toBeDefined();
    const fromDashboard = await eventually(
      'dashboard P99 for payments in 0.25..0.5',
      async () => {
        const r = await promQuery(expand(panel!.expr, { service: 'payments' }));
        const v = r[0] ? Number(r[0].value[1]) : undefined;
        return inRange(v) ? v : undefined;
      },
      120_000,
      5000,
    );
    expect(fromDashboard).toBeLessThanOrEqual(0.5);

    const reset = await setPaymentsFaults({ errorRate: 0, latencyMs: 0 });
    expect(reset).toMatchObject({ errorRate: 0, latencyMs: 0 });
  });
});
