import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decode, LogsRequest, TraceRequest, type Decoded } from './protobuf';

/** A span as the tests see it, whatever the wire encoding. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
  scope: string;
  /** 0 unset, 1 ok, 2 error. */
  statusCode: number;
  /** Nanoseconds since the epoch. */
  startNanos: bigint;
  endNanos: bigint;
}

/** A log record as the tests see it. */
export interface ReceivedLog {
  traceId: string;
  spanId: string;
  body: unknown;
  severityText: string;
  attributes: Record<string, unknown>;
  resource: Record<string, unknown>;
}

type Any = Record<string, unknown> | undefined;

function anyValue(v: Any): unknown {
  if (v === undefined) return undefined;
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return Number(v.intValue);
  if ('doubleValue' in v) return v.doubleValue;
  if ('arrayValue' in v) return ((v.arrayValue as { values?: Any[] }).values ?? []).map(anyValue);
  if ('kvlistValue' in v)
    return attrs((v.kvlistValue as { values?: { key: string; value: Any }[] }).values);
  if ('bytesValue' in v) return v.bytesValue;
  return undefined;
}

function attrs(list: { key: string; value: Any }[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value);
  return out;
}

type Arr<T = Decoded> = T[] | undefined;

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * A real OTLP/HTTP receiver (protobuf and JSON) on an ephemeral port: the fixtures export to it
 * exactly as they would to a collector.
 */
export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  readonly logs: ReceivedLog[] = [];
  readonly contentTypes = new Set<string>();
  /** Every request body as it arrived, to search for what must never be exported. */
  readonly bodies: Buffer[] = [];
  requests = 0;
  private server: Server | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests++;
        const body = Buffer.concat(chunks);
        this.bodies.push(body);
        const type = String(req.headers['content-type'] ?? '');
        this.contentTypes.add(type);
        try {
          const json = type.includes('json');
          if (req.url?.endsWith('/v1/traces'))
            this.addTraces(
              json ? (JSON.parse(body.toString()) as Decoded) : decode(body, TraceRequest),
            );
          else if (req.url?.endsWith('/v1/logs'))
            this.addLogs(
              json ? (JSON.parse(body.toString()) as Decoded) : decode(body, LogsRequest),
            );
          res.setHeader('content-type', json ? 'application/json' : 'application/x-protobuf');
          res.end(json ? '{}' : '');
        } catch (err) {
          res.statusCode = 400;
          res.end(String(err));
        }
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private addTraces(req: Decoded): void {
    for (const rs of (req.resourceSpans as Arr) ?? []) {
      const resource = attrs((rs.resource as { attributes?: never } | undefined)?.attributes);
      for (const ss of (rs.scopeSpans as Arr) ?? []) {
        const scope = String((ss.scope as { name?: string } | undefined)?.name ?? '');
        for (const s of (ss.spans as Arr) ?? []) {
          this.spans.push({
            traceId: str(s.traceId),
            spanId: str(s.spanId),
            parentSpanId: str(s.parentSpanId),
            name: String(s.name),
            kind: Number(s.kind ?? 0),
            attributes: attrs(s.attributes as never),
            resource,
            scope,
            statusCode: Number((s.status as { code?: number } | undefined)?.code ?? 0),
            startNanos: BigInt((s.startTimeUnixNano as bigint | string | undefined) ?? 0),
            endNanos: BigInt((s.endTimeUnixNano as bigint | string | undefined) ?? 0),
          });
        }
      }
    }
  }

  private addLogs(req: Decoded): void {
    for (const rl of (req.resourceLogs as Arr) ?? []) {
      const resource = attrs((rl.resource as { attributes?: never } | undefined)?.attributes);
      for (const sl of (rl.scopeLogs as Arr) ?? []) {
        for (const l of (sl.logRecords as Arr) ?? []) {
          this.logs.push({
            traceId: str(l.traceId),
            spanId: str(l.spanId),
            body: anyValue(l.body as Any),
            severityText: str(l.severityText),
            attributes: attrs(l.attributes as never),
            resource,
          });
        }
      }
    }
  }

  /** Waits until `check` returns a value (not undefined/false), polling what has arrived. */
  async waitFor<T>(
    what: string,
    check: () => T | undefined | false,
    timeoutMs = 15_000,
  ): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const v = check();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > until) {
        throw new Error(
          `timed out waiting for ${what}; received spans: ${JSON.stringify(this.spans.map((s) => s.name))}, logs: ${this.logs.length}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
