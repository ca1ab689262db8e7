// Resilience policies per downstream dependency (cockatiel): bulkhead -> retry -> circuit breaker ->
// timeout. Retries are only used for idempotent calls. Every decision is a metric and a span event.
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  ExponentialBackoff,
  TaskCancelledError,
  TimeoutStrategy,
  bulkhead,
  circuitBreaker,
  handleWhen,
  retry,
  timeout,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { log, metrics, spanEvent } from '../telemetry/index.js';

export interface PolicySettings {
  timeoutMs: number;
  retries: number;
  breakerThreshold: number;
  halfOpenAfterMs: number;
  bulkheadLimit: number;
  bulkheadQueue: number;
}

const breakerState = metrics.gauge({
  name: 'resilience_circuit_breaker_state',
  help: 'Circuit breaker state per dependency: 0 closed, 1 open, 2 half-open',
  labelNames: ['dependency'],
});
const retries = metrics.counter({
  name: 'resilience_retries_total',
  help: 'Retries of idempotent calls to a dependency',
  labelNames: ['dependency'],
});
const rejections = metrics.counter({
  name: 'resilience_rejections_total',
  help: 'Calls rejected by a resilience policy, by reason',
  labelNames: ['dependency', 'reason'],
});

/** Thrown for a 5xx answer so that policies count it as a failure; carries the response. */
export class UpstreamStatusError extends Error {
  constructor(
    readonly dependency: string,
    readonly status: number,
    readonly body: unknown,
    readonly headers: Headers,
  ) {
    super(`${dependency} answered ${status}`);
  }
}

export function isTransient(err: unknown): boolean {
  if (err instanceof BrokenCircuitError || err instanceof BulkheadRejectedError) return false;
  if (err instanceof UpstreamStatusError) return err.status >= 500;
  if (err instanceof TaskCancelledError) return true;
  // fetch rejects with a TypeError for network failures (refused, reset, DNS)
  return err instanceof TypeError;
}

/** True when the request certainly never reached the dependency, so it cannot have had an effect. */
export function certainlyNotSent(err: unknown): boolean {
  if (err instanceof BrokenCircuitError || err instanceof BulkheadRejectedError) return true;
  const cause = (err as { cause?: { code?: string } })?.cause;
  return err instanceof TypeError && cause?.code === 'ECONNREFUSED';
}

export function rejectionReason(
  err: unknown,
): 'breaker_open' | 'bulkhead_full' | 'timeout' | undefined {
  if (err instanceof BrokenCircuitError) return 'breaker_open';
  if (err instanceof BulkheadRejectedError) return 'bulkhead_full';
  if (err instanceof TaskCancelledError) return 'timeout';
  return undefined;
}

export interface DependencyPolicies {
  dependency: string;
  /** For idempotent calls: retried with exponential backoff and jitter. */
  idempotent: IPolicy;
  /** For calls that must not be repeated blindly. */
  once: IPolicy;
  /**
   * For compensations (refund, release): idempotent and they must eventually happen, so they are
   * retried and not short-circuited by a breaker that the failed forward step itself opened.
   */
  compensation: IPolicy;
  state(): 'closed' | 'open' | 'half_open';
}

const stateValue: Record<CircuitState, number> = {
  [CircuitState.Closed]: 0,
  [CircuitState.Open]: 1,
  [CircuitState.HalfOpen]: 2,
  [CircuitState.Isolated]: 1,
};

export function createPolicies(dependency: string, s: PolicySettings): DependencyPolicies {
  const labels = { dependency };
  breakerState.set(labels, 0);
  retries.inc(labels, 0);
  for (const reason of ['breaker_open', 'bulkhead_full', 'timeout'])
    rejections.inc({ dependency, reason }, 0);

  const transient = handleWhen(isTransient);
  const timeoutPolicy = timeout(s.timeoutMs, TimeoutStrategy.Cooperative);
  timeoutPolicy.onTimeout(() => {
    rejections.inc({ dependency, reason: 'timeout' });
    spanEvent('resilience.timeout', { dependency, 'timeout.ms': s.timeoutMs });
  });

  const breaker = circuitBreaker(transient, {
    halfOpenAfter: s.halfOpenAfterMs,
    breaker: new ConsecutiveBreaker(s.breakerThreshold),
  });
  breaker.onStateChange((state) => {
    breakerState.set(labels, stateValue[state]);
    const name =
      state === CircuitState.Closed
        ? 'closed'
        : state === CircuitState.HalfOpen
          ? 'half_open'
          : 'open';
    spanEvent('resilience.circuit_breaker', { dependency, state: name });
    log.warn({ dependency, state: name }, 'circuit breaker state changed');
  });

  const retryPolicy = retry(transient, {
    maxAttempts: s.retries,
    // cockatiel's exponential generator is "decorrelated jitter" by default
    backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 }),
  });
  retryPolicy.onRetry((event) => {
    retries.inc(labels);
    spanEvent('resilience.retry', {
      dependency,
      'retry.attempt': event.attempt,
      'retry.delay_ms': Math.round(event.delay),
    });
  });

  const bulk = bulkhead(s.bulkheadLimit, s.bulkheadQueue);
  bulk.onReject(() => {
    rejections.inc({ dependency, reason: 'bulkhead_full' });
    spanEvent('resilience.bulkhead_rejected', { dependency });
  });

  const countOpen = <T extends IPolicy>(policy: T): IPolicy => ({
    ...policy,
    execute: async (fn: (ctx: { signal: AbortSignal }) => unknown, signal?: AbortSignal) => {
      try {
        return await policy.execute(fn as never, signal);
      } catch (err) {
        if (err instanceof BrokenCircuitError) {
          rejections.inc({ dependency, reason: 'breaker_open' });
          spanEvent('resilience.breaker_open', { dependency });
        }
        throw err;
      }
    },
  });

  return {
    dependency,
    idempotent: countOpen(wrap(bulk, retryPolicy, breaker, timeoutPolicy)),
    once: countOpen(wrap(bulk, breaker, timeoutPolicy)),
    compensation: wrap(bulk, retryPolicy, timeoutPolicy),
    state: () => {
      const st = breaker.state;
      return st === CircuitState.Closed
        ? 'closed'
        : st === CircuitState.HalfOpen
          ? 'half_open'
          : 'open';
    },
  };
}
