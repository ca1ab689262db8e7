// What a call of the saga came to, from the saga's point of view: done, failed, or unknown (and
// whether the owner may have acted, which decides whether there is something to compensate).
import { UpstreamFailure } from '../platform/resilience/client.js';

/**
 * What a forward step's call came to: done (the owner did it), failed (it did not, or not yet), or
 * unknown (it may have; ask the owner). `mayHaveActed` is false only when no attempt can have reached
 * the owner (refused connections, open breaker): then there is nothing to compensate. Otherwise the
 * saga compensates, even after a 4xx, because an earlier attempt may still be on its way.
 */
export type Outcome =
  | { kind: 'done'; body: unknown }
  | { kind: 'failed'; reason: string; mayHaveActed: boolean }
  | { kind: 'unknown'; reason: string; mayHaveActed: true };

export function answered(res: { status: number; body: unknown }): Outcome {
  if (res.status < 300) return { kind: 'done', body: res.body };
  // A 4xx is a decision; a 500 is not: the owner may have failed after acting.
  if (res.status < 500) return { kind: 'failed', reason: describe(res.body), mayHaveActed: true };
  return {
    kind: 'unknown',
    reason: `answered ${res.status}: ${describe(res.body)}`,
    mayHaveActed: true,
  };
}

export function failed(err: unknown): Outcome {
  if (!(err instanceof UpstreamFailure)) throw err;
  const reason = errorText(err);
  return err.outcomeUnknown
    ? { kind: 'unknown', reason, mayHaveActed: true as const }
    : { kind: 'failed', reason, mayHaveActed: false };
}

export function describe(body: unknown): string {
  if (body && typeof body === 'object' && 'message' in body) return String(body.message);
  return typeof body === 'string' ? body.slice(0, 200) : JSON.stringify(body).slice(0, 200);
}

export function errorText(err: unknown): string {
  if (err instanceof UpstreamFailure) {
    const answer = err.answer;
    if (answer) return `${err.dependency} answered ${answer.status}: ${describe(answer.body)}`;
    if (err.reason === 'breaker_open')
      return `${err.dependency} unavailable: circuit breaker is open`;
    return err.message;
  }
  const e = err as { message?: string; cause?: { code?: string } };
  return [e?.message ?? String(err), e?.cause?.code].filter(Boolean).join(' ');
}
