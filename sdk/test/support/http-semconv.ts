import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { OtlpReceiver, ReceivedSpan } from './otlp-receiver';
import { decode, type Decoded, type Schema } from './protobuf';

// Shared by the HTTP semantic-convention tests: finding a request's spans, reading a series of
// the Prometheus exposition, and the instrumentation scope the shared receiver does not keep.

export const SERVER = 2;
export const CLIENT = 3;

/** The server span a response's `traceresponse` header names. */
export function spanOf(receiver: OtlpReceiver, res: Response): Promise<ReceivedSpan> {
  const [, traceId, spanId] = (res.headers.get('traceresponse') ?? '').split('-');
  return receiver.waitFor(`the span of ${res.url}`, () =>
    receiver.spans.find((s) => s.traceId === traceId && s.spanId === spanId),
  );
}

/** Exported spans matching `check`, once there are `n` of them. */
export function spansWhere(
  receiver: OtlpReceiver,
  what: string,
  check: (s: ReceivedSpan) => boolean,
  n = 1,
): Promise<ReceivedSpan[]> {
  return receiver.waitFor(what, () => {
    const found = receiver.spans.filter(check);
    return found.length >= n ? found : undefined;
  });
}

/** The label sets (name -> value) of every `<metric>_count` series in an exposition. */
export function seriesOf(text: string, metric: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const m of text.matchAll(new RegExp(`^${metric}_count\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    const labels: Record<string, string> = { _count: m[2]! };
    for (const l of m[1]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push(labels);
  }
  return out;
}

/** The `_sum` of the one series whose labels include all of `labels`. */
export function sumOf(text: string, metric: string, labels: Record<string, string>): number {
  const sums = [...text.matchAll(new RegExp(`^${metric}_sum\\{([^}]*)\\} (\\S+)$`, 'gm'))].filter(
    (m) => Object.entries(labels).every(([k, v]) => m[1]!.includes(`${k}="${v}"`)),
  );
  if (sums.length !== 1) throw new Error(`${sums.length} series of ${metric} match`);
  return Number(sums[0]![2]);
}

const Scope: Schema = {
  1: { name: 'name', type: 'string' },
  2: { name: 'version', type: 'string' },
};
const Traces: Schema = {
  1: {
    name: 'resourceSpans',
    repeated: true,
    type: {
      2: {
        name: 'scopeSpans',
        repeated: true,
        type: {
          1: { name: 'scope', type: Scope },
          // Span.trace_id; in a logs body this field is LogRecord.time_unix_nano (8 bytes).
          2: { name: 'spans', repeated: true, type: { 1: { name: 'traceId', type: 'bytes' } } },
          3: { name: 'schemaUrl', type: 'string' },
        },
      },
    },
  },
};

export interface ExportedScope {
  name: string;
  version: string | undefined;
  schemaUrl: string | undefined;
}

/** Every instrumentation scope (name, version, schema URL) the receiver's trace bodies carried. */
export function exportedScopes(receiver: OtlpReceiver): ExportedScope[] {
  const out: ExportedScope[] = [];
  for (const body of receiver.bodies) {
    let request: Decoded;
    try {
      request = decode(body, Traces);
    } catch {
      continue; // a logs body
    }
    for (const rs of (request.resourceSpans as Decoded[] | undefined) ?? [])
      for (const ss of (rs.scopeSpans as Decoded[] | undefined) ?? []) {
        const spans = (ss.spans as { traceId?: string }[] | undefined) ?? [];
        if (!spans.some((s) => s.traceId?.length === 32)) continue; // log records
        const scope = ss.scope as { name?: string; version?: string } | undefined;
        out.push({
          name: scope?.name ?? '',
          version: scope?.version,
          schemaUrl: ss.schemaUrl as string | undefined,
        });
      }
  }
  return out;
}

/** The SDK's version, from its package.json. */
export const SDK_PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;
