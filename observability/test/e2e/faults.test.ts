// (5) payments faults switched at runtime show up where an operator looks: an error rate fires
// HighErrorRatio and makes sagas compensate; 300 ms of latency moves payments' P99 (recording
// rule and dashboard query) into 0.25..0.5 s. Both are reset afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  eventually,
  PROMETHEUS,
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

interface ActiveAlert {
  labels: Record<string, string>;
  state: string;
  activeAt: string;
}
async function alertsFor(name: string, service: string): Promise<ActiveAlert[]> {
  const body = (await (await fetch(`${PROMETHEUS}/api/v1/alerts`)).json()) as {
    data: { alerts: ActiveAlert[] };
  };
  return body.data.alerts.filter(
    (a) => a.labels.alertname === name && a.labels.service_name === service,
  );
}

const p99 = () =>
  promValue('service:http_server_request_duration_seconds:p99_5m', { service_name: 'payments' });

const sagaCompensations = async () =>
  Number((await promQuery('sum(saga_compensations_total)'))[0]?.value[1] ?? 0);

describe('payments fault injection', () => {
  it('an error rate fires HighErrorRatio for payments and makes sagas compensate', async () => {
    // On a reused stack an earlier run may have left the alert active: only a fresh one counts.
    await eventually(
      'HighErrorRatio for payments inactive before the test',
      async () => ((await alertsFor('HighErrorRatio', 'payments')).length === 0 ? true : undefined),
      420_000,
      5000,
    );
    const before = await sagaCompensations();
    const injectedAt = Date.now();
    await setPaymentsFaults({ errorRate: 0.5, latencyMs: 0 });
    const firing = await eventually(
      'HighErrorRatio firing for payments',
      async () => (await alertsFor('HighErrorRatio', 'payments')).find((a) => a.state === 'firing'),
      240_000,
      5000,
    );
    expect(firing.labels.severity).toBe('warning');
    // It became active after the injection, then stayed pending for the rule's `for: 1m`.
    expect(Date.parse(firing.activeAt)).toBeGreaterThanOrEqual(injectedAt - 1000);
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
    // Start from a fast payments service, so the move is caused by this injection.
    await eventually(
      'payments P99 below 0.25 s before the test',
      async () => {
        const v = await p99();
        return v !== undefined && v < 0.25 ? v : undefined;
      },
      420_000,
      5000,
    );
    await setPaymentsFaults({ errorRate: 0, latencyMs: 300 });
    const inRange = (v: number | undefined) => v !== undefined && v >= 0.25 && v <= 0.5;
    const recorded = await eventually(
      'service:http_server_request_duration_seconds:p99_5m{service_name="payments"} in 0.25..0.5',
      async () => {
        const v = await p99();
        return inRange(v) ? v : undefined;
      },
      180_000,
      5000,
    );
    expect(recorded).toBeGreaterThanOrEqual(0.25);

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
