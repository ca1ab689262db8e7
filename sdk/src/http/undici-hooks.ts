import type { Span } from '@opentelemetry/api';
import { recordClientDuration } from './client-duration';

// Start times ride on the request object itself: one numeric property per request is the
// cheapest place to keep them (no map, no closure).
const START = Symbol('o11y.start');
type Timed = { [START]?: number };

/** Undici (fetch) request shape used by the hooks below. */
interface UndiciRequestLike {
  method: string;
  origin: string;
}

/** Configuration for `@opentelemetry/instrumentation-undici`: records outbound fetch durations. */
export function undiciInstrumentationConfig() {
  return {
    requestHook: (_span: Span, req: UndiciRequestLike) => {
      (req as Timed)[START] = performance.now();
    },
    responseHook: (
      _span: Span,
      info: { request: UndiciRequestLike; response: { statusCode: number } },
    ) => {
      const start = (info.request as Timed)[START];
      if (start === undefined) return;
      let host = info.request.origin;
      try {
        host = new URL(info.request.origin).hostname;
      } catch {
        // keep origin as given
      }
      recordClientDuration(info.request.method, host, info.response.statusCode, start);
    },
  };
}
