// The order saga orchestrator: reserve inventory -> charge payment -> confirm. On a failed step it
// runs the compensations (refund, release) and cancels the order with a reason. The next step is
// persisted before it runs, and every step is idempotent on the order id, so after a crash the saga
// is simply run again from its recorded step (recovery loop, once the dead worker's lease expires).
// It never guesses: when a step's answer is lost (reset, timeout, 5xx), it asks the step's owner
// what happened to the order; when even that fails, it compensates, and a compensation (which
// leaves a tombstone refusing a late reserve or charge) is retried until it succeeds.
import { withTransaction, type Db } from '../platform/db/pool.js';
import type { ServiceClient } from '../platform/resilience/client.js';
import { answered, describe, errorText, failed, type Outcome } from './step-outcome.js';
import { cancelConfirmedOrder } from './cancellation.js';
import { enqueueEvent, type OutboxRelay } from '../platform/messaging/outbox.js';
import {
  log,
  metrics,
  spanEvent,
  SpanKind,
  tracer,
  SpanStatusCode,
} from '../platform/telemetry/index.js';
import type { OrderRow } from './repository.js';

type Step = 'RESERVE' | 'CHARGE' | 'CONFIRM' | 'COMPENSATE' | 'DONE';

interface SagaRow {
  order_id: string;
  step: Step;
  release_needed: boolean;
  refund_needed: boolean;
  failure_reason: string | null;
}

const outcomes = metrics.counter({
  name: 'saga_outcomes_total',
  help: 'Finished order sagas by outcome',
  labelNames: ['outcome'],
});
const compensations = metrics.counter({
  name: 'saga_compensations_total',
  help: 'Compensation steps run',
  labelNames: ['step'],
});
for (const outcome of ['confirmed', 'cancelled']) outcomes.inc({ outcome }, 0);
for (const step of ['release_inventory', 'refund_payment']) compensations.inc({ step }, 0);

export interface SagaSettings {
  leaseMs: number;
  recoveryIntervalMs: number;
}

export class SagaOrchestrator {
  private readonly running = new Map<string, Promise<void>>();
  private recoveryTimer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly db: Db,
    private readonly inventory: ServiceClient,
    private readonly payments: ServiceClient,
    private readonly relay: OutboxRelay,
    private readonly settings: SagaSettings,
  ) {}

  /** Runs (or joins the run of) an order's saga until it finishes or cannot progress for now. */
  run(orderId: string): Promise<void> {
    const existing = this.running.get(orderId);
    if (existing) return existing;
    const run = this.drive(orderId)
      .catch((err: unknown) => log.error({ err, orderId }, 'saga run failed; recovery will retry'))
      .finally(() => this.running.delete(orderId));
    this.running.set(orderId, run);
    return run;
  }

  private async drive(orderId: string): Promise<void> {
    for (let guard = 0; guard < 10 && !this.stopped; guard++) {
      const { rows } = await this.db.query<
        SagaRow & Pick<OrderRow, 'user_id' | 'items' | 'total_cents'>
      >(
        `SELECT s.*, o.user_id, o.items, o.total_cents FROM sagas s JOIN orders o ON o.id = s.order_id WHERE s.order_id = $1`,
        [orderId],
      );
      const saga = rows[0];
      if (!saga || saga.step === 'DONE') return;
      const progressed = await tracer.startActiveSpan(
        `saga ${saga.step.toLowerCase()}`,
        { kind: SpanKind.INTERNAL, attributes: { 'order.id': orderId, 'saga.step': saga.step } },
        async (span) => {
          try {
            return await this.step(saga);
          } catch (err) {
            span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
            throw err;
          } finally {
            span.end();
          }
        },
      );
      if (!progressed) return;
    }
  }

  /** Executes the saga's current step; false when it cannot progress now (retried later). */
  private async step(
    saga: SagaRow & Pick<OrderRow, 'user_id' | 'items' | 'total_cents'>,
  ): Promise<boolean> {
    const orderId = saga.order_id;
    switch (saga.step) {
      case 'RESERVE': {
        const outcome = await this.forward(
          this.inventory,
          '/internal/reservations',
          { orderId, items: saga.items },
          'RESERVED',
        );
        if (outcome.kind === 'done') {
          await this.transition(orderId, 'CHARGE', {
            total: (outcome.body as { totalCents: number }).totalCents,
          });
          return true;
        }
        return this.fail(orderId, `inventory: ${outcome.reason}`, {
          release: outcome.mayHaveActed,
          refund: false,
        });
      }
      case 'CHARGE': {
        const outcome = await this.forward(
          this.payments,
          '/internal/payments',
          { orderId, userId: saga.user_id, amountCents: saga.total_cents ?? 0 },
          'CHARGED',
        );
        if (outcome.kind === 'done') {
          await this.transition(orderId, 'CONFIRM');
          return true;
        }
        return this.fail(orderId, `payment: ${outcome.reason}`, {
          release: true,
          refund: outcome.mayHaveActed,
        });
      }
      case 'CONFIRM': {
        await withTransaction(this.db, async (tx) => {
          const { rows } = await tx.query<OrderRow>(
            `UPDATE orders SET status = 'CONFIRMED', updated_at = now() WHERE id = $1 AND status = 'PENDING' RETURNING *`,
            [orderId],
          );
          if (rows[0]) {
            await enqueueEvent(tx, 'order.confirmed', orderId, {
              orderId,
              userId: rows[0].user_id,
              items: rows[0].items,
              totalCents: rows[0].total_cents,
            });
          }
          await tx.query(`UPDATE sagas SET step = 'DONE', updated_at = now() WHERE order_id = $1`, [
            orderId,
          ]);
        });
        this.relay.notify();
        outcomes.inc({ outcome: 'confirmed' });
        log.info({ orderId }, 'order confirmed');
        return false;
      }
      case 'COMPENSATE': {
        if (saga.refund_needed) {
          if (
            !(await this.compensate(orderId, 'refund_payment', () =>
              this.payments.request('POST', `/internal/payments/${orderId}/refund`, {
                compensation: true,
              }),
            ))
          )
            return false;
          await this.db.query(
            'UPDATE sagas SET refund_needed = false, updated_at = now() WHERE order_id = $1',
            [orderId],
          );
        }
        if (saga.release_needed) {
          if (
            !(await this.compensate(orderId, 'release_inventory', () =>
              this.inventory.request('POST', `/internal/reservations/${orderId}/release`, {
                compensation: true,
              }),
            ))
          )
            return false;
          await this.db.query(
            'UPDATE sagas SET release_needed = false, updated_at = now() WHERE order_id = $1',
            [orderId],
          );
        }
        await withTransaction(this.db, async (tx) => {
          const { rows } = await tx.query<OrderRow>(
            `UPDATE orders SET status = 'CANCELLED', cancel_reason = $2, updated_at = now()
             WHERE id = $1 AND status IN ('PENDING', 'CONFIRMED') RETURNING *`,
            [orderId, saga.failure_reason ?? 'cancelled'],
          );
          if (rows[0]) {
            await enqueueEvent(tx, 'order.cancelled', orderId, {
              orderId,
              userId: rows[0].user_id,
              reason: rows[0].cancel_reason,
            });
          }
          await tx.query(`UPDATE sagas SET step = 'DONE', updated_at = now() WHERE order_id = $1`, [
            orderId,
          ]);
        });
        this.relay.notify();
        outcomes.inc({ outcome: 'cancelled' });
        log.warn({ orderId, reason: saga.failure_reason }, 'order cancelled');
        return false;
      }
      default:
        return false;
    }
  }

  /**
   * A forward step: the call to its owner (idempotent per order id, so retried), and when its
   * answer is lost, the owner's word on what became of the order.
   */
  private async forward(
    owner: ServiceClient,
    path: string,
    body: unknown,
    doneStatus: string,
  ): Promise<Outcome> {
    let outcome: Outcome;
    try {
      outcome = answered(await owner.request('POST', path, { body, idempotent: true }));
    } catch (err) {
      outcome = failed(err);
    }
    if (outcome.kind !== 'unknown') return outcome;
    const orderId = (body as { orderId: string }).orderId;
    return this.ask(owner, `${path}/${orderId}`, doneStatus, outcome);
  }

  /**
   * A step's answer was lost: ask its owner what became of the order. The owner's state is the
   * truth; when the owner cannot be asked either, the outcome stays unknown (and the caller
   * compensates, which is safe whatever happened).
   */
  private async ask(
    owner: ServiceClient,
    path: string,
    doneStatus: string,
    lost: Extract<Outcome, { kind: 'unknown' }>,
  ): Promise<Outcome> {
    try {
      const res = await owner.request<{ status?: string }>('GET', path, { compensation: true });
      const found = res.status === 200 ? (res.body.status ?? 'unknown') : 'nothing';
      spanEvent('saga.outcome_resolved', { dependency: owner.dependency, found });
      if (found === doneStatus) return { kind: 'done', body: res.body };
      // Not done (yet): a request still in flight could land later, so the caller compensates,
      // and the compensation's tombstone refuses it.
      return { ...lost, reason: `${lost.reason}; ${owner.dependency} has ${found} for this order` };
    } catch (err) {
      log.warn({ path, err: errorText(err) }, 'cannot ask the owner about a lost answer');
      return lost;
    }
  }

  private async compensate(
    orderId: string,
    step: 'refund_payment' | 'release_inventory',
    call: () => Promise<{ status: number; body: unknown }>,
  ): Promise<boolean> {
    try {
      const res = await call();
      if (res.status >= 300)
        throw new Error(`${step} answered ${res.status}: ${describe(res.body)}`);
      compensations.inc({ step });
      spanEvent('saga.compensated', { step });
      return true;
    } catch (err) {
      log.warn({ orderId, step, err: errorText(err) }, 'compensation failed; will retry');
      return false;
    }
  }

  private async transition(
    orderId: string,
    step: Step,
    extra: { total?: number } = {},
  ): Promise<void> {
    await withTransaction(this.db, async (tx) => {
      if (extra.total !== undefined)
        await tx.query('UPDATE orders SET total_cents = $2, updated_at = now() WHERE id = $1', [
          orderId,
          extra.total,
        ]);
      await tx.query(
        `UPDATE sagas SET step = $2, lease_until = now() + $3 * interval '1 millisecond', updated_at = now() WHERE order_id = $1`,
        [orderId, step, this.settings.leaseMs],
      );
    });
    spanEvent('saga.step', { 'saga.step': step });
  }

  private async fail(
    orderId: string,
    reason: string,
    needs: { release: boolean; refund: boolean },
  ): Promise<boolean> {
    log.warn({ orderId, reason }, 'saga step failed, compensating');
    spanEvent('saga.failed', { reason });
    await this.db.query(
      `UPDATE sagas SET step = 'COMPENSATE', failure_reason = $2, release_needed = release_needed OR $3,
         refund_needed = refund_needed OR $4, lease_until = now() + $5 * interval '1 millisecond', updated_at = now()
       WHERE order_id = $1`,
      [orderId, reason.slice(0, 500), needs.release, needs.refund, this.settings.leaseMs],
    );
    return true;
  }

  /** Customer cancellation of a confirmed order; false when it is no longer CONFIRMED. */
  async requestCancel(orderId: string): Promise<boolean> {
    const cancelled = await cancelConfirmedOrder(this.db, orderId, this.settings.leaseMs);
    if (cancelled) {
      this.relay.notify();
      await this.run(orderId);
    }
    return cancelled;
  }

  /** Picks up sagas whose worker died or gave up for now (lease expired). */
  startRecovery(): void {
    const tick = async () => {
      if (this.stopped) return;
      try {
        const { rows } = await this.db.query<{ order_id: string }>(
          `UPDATE sagas SET lease_until = now() + $1 * interval '1 millisecond', attempts = attempts + 1
           WHERE order_id IN (
             SELECT order_id FROM sagas WHERE step <> 'DONE' AND lease_until < now()
             ORDER BY updated_at LIMIT 20 FOR UPDATE SKIP LOCKED)
           RETURNING order_id`,
          [this.settings.leaseMs],
        );
        for (const { order_id } of rows) {
          if (this.running.has(order_id)) continue;
          log.info({ orderId: order_id }, 'resuming saga');
          void this.run(order_id);
        }
      } catch (err) {
        log.warn({ err: errorText(err) }, 'saga recovery scan failed');
      }
      if (!this.stopped)
        this.recoveryTimer = setTimeout(() => void tick(), this.settings.recoveryIntervalMs);
    };
    this.recoveryTimer = setTimeout(() => void tick(), this.settings.recoveryIntervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.recoveryTimer) clearTimeout(this.recoveryTimer);
    // A saga interrupted here resumes from its persisted step after the lease expires.
    await Promise.allSettled([...this.running.values()]);
  }
}
