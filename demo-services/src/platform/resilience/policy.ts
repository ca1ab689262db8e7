// Resilience policies per downstream dependency (cockatiel): bulkhead -> retry -> circuit breaker ->
// timeout. What counts as a failure is decided here, once: only signs that the dependency itself is
// unavailable (no connection, no answer in time, 502/503/504). An answer, even a 4xx or a 500, says
// the dependency is up; counting it would let one client's bad input open the breaker for everyone.
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
  /** The longest wait of an open breaker before it lets a probe through. */
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

/** The dependency answered 502, 503 or 504: it, or something behind it, is unavailable. */
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

/** No answer within the deadline: the request may or may not have had its effect. */
export class UpstreamTimeoutError extends Error {
  constructor(
    readonly dependency: string,
    readonly timeoutMs: number,
  ) {
    super(`${dependency} did not answer within ${timeoutMs} ms`);
  }
}

/** The connection failed. `refused` means it was never made, so the request had no effect. */
export class UpstreamUnreachableError extends Error {
  constructor(
    readonly dependency: string,
    readonly code: string,
    readonly refused: boolean,
  ) {
    super(`${dependency} is unreachable (${code})`);
  }
}

/** Failures that say the dependency is unavailable: retried (when safe) and counted by the breaker. */
export function isTransient(err: unknown): boolean {
  return (
    err instanceof UpstreamStatusError ||
    err instanceof UpstreamTimeoutError ||
    err instanceof UpstreamUnreachableError ||
    err instanceof TaskCancelledError
  );
}

/** True when the request certainly never reached the dependency, so it cannot have had an effect. */
export function certainlyNotSent(err: unknown): boolean {
  return (
    err instanceof BrokenCircuitError ||
    err instanceof BulkheadRejectedError ||
    (err instanceof UpstreamUnreachableError && err.refused)
  );
}

export type FailureReason =
  'breaker_open' | 'bulkhead_full' | 'timeout' | 'unreachable' | 'unavailable';

export function failureReason(err: unknown): FailureReason {
  if (err instanceof BrokenCircuitError) return 'breaker_open';
  if (err instanceof BulkheadRejectedError) return 'bulkhead_full';
  if (err instanceof UpstreamTimeoutError || err instanceof TaskCancelledError) return 'timeout';
  if (err instanceof UpstreamStatusError) return 'unavailable';
  return 'unreachable';
}

export interface DependencyPolicies {
  dependency: string;
  /** For idempotent calls: retried with exponential backoff and jitter. */
  idempotent: IPolicy;
  /** For calls that must not be repeated blindly: retried only when the attempt was never sent. */
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

const stateName = (state: CircuitState) =>
  state === CircuitState.Closed ? 'closed' : state === CircuitState.HalfOpen ? 'half_open' : 'open';

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
    // Short first waits, growing to the configured one while the dependency stays down: a restart
    // of a few seconds costs a few seconds, not several full half-open periods.
    halfOpenAfter: new ExponentialBackoff({
      initialDelay: Math.min(250, s.halfOpenAfterMs),
      maxDelay: s.halfOpenAfterMs,
    }),
    breaker: new ConsecutiveBreaker(s.breakerThreshold),
  });
  breaker.onStateChange((state) => {
    breakerState.set(labels, stateValue[state]);
    spanEvent('resilience.circuit_breaker', { dependency, state: stateName(state) });
    log.warn({ dependency, state: stateName(state) }, 'circuit breaker state changed');
  });

  const backoff = new ExponentialBackoff({ initialDelay: 50, maxDelay: 1000 });
  const onRetry = (event: { attempt: number; delay: number }) => {
    retries.inc(labels);
    spanEvent('resilience.retry', {
      dependency,
      'retry.attempt': event.attempt,
      'retry.delay_ms': Math.round(event.delay),
    });
  };
  // cockatiel's exponential generator is "decorrelated jitter" by default
  const retryPolicy = retry(transient, { maxAttempts: s.retries, backoff });
  retryPolicy.onRetry(onRetry);
  const retryUnsent = retry(
    handleWhen((err) => err instanceof UpstreamUnreachableError && err.refused),
    { maxAttempts: s.retries, backoff },
  );
  retryUnsent.onRetry(onRetry);

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
    once: countOpen(wrap(bulk, retryUnsent, breaker, timeoutPolicy)),
    compensation: wrap(bulk, retryPolicy, timeoutPolicy),
    state: () => stateName(breaker.state),
  };
}
