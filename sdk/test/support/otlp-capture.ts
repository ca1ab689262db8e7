import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeOfficial } from './official-protos';

/** One request as it arrived. */
export interface CapturedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** Milliseconds since the capture started. */
  at: number;
}

/**
 * An OTLP/HTTP endpoint that keeps every request (any path), for checks on what arrived where
 * and when; bodies are decoded with the official protos (./official-protos).
 */
export class OtlpCapture {
  readonly requests: CapturedRequest[] = [];
  private server: Server | undefined;
  private startedAt = Date.now();

  async start(): Promise<string> {
    this.startedAt = Date.now();
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
          at: Date.now() - this.startedAt,
        });
        res.setHeader('content-type', 'application/x-protobuf');
        res.end();
      });
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  /** Requests to paths ending in `suffix`. */
  to(suffix: string): CapturedRequest[] {
    return this.requests.filter((r) => r.path.endsWith(suffix));
  }

  /** Every metric of every request to `suffix`, decoded, with its request's resource. */
  metrics(suffix = '/v1/metrics'): DecodedMetric[] {
    const out: DecodedMetric[] = [];
    for (const r of this.to(suffix)) {
      const req = decodeOfficial('metrics', r.body) as {
        resourceMetrics?: {
          resource?: { attributes?: KeyValue[] };
          scopeMetrics?: { scope?: { name?: string }; metrics?: DecodedMetric[] }[];
        }[];
      };
      for (const rm of req.resourceMetrics ?? [])
        for (const sm of rm.scopeMetrics ?? [])
          for (const m of sm.metrics ?? [])
            out.push({
              ...m,
              resource: attributes(rm.resource?.attributes),
              scope: sm.scope?.name ?? '',
              requestAt: r.at,
            });
    }
    return out;
  }
}

export interface KeyValue {
  key: string;
  value?: Record<string, unknown>;
}

/** A Metric as protobufjs gives it (camelCase fields), plus where it came from. */
export interface DecodedMetric {
  name: string;
  description?: string;
  data?: 'gauge' | 'sum' | 'histogram' | 'summary' | 'exponentialHistogram';
  gauge?: { dataPoints?: DataPoint[] };
  sum?: { dataPoints?: DataPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  histogram?: { dataPoints?: DataPoint[]; aggregationTemporality?: number };
  resource: Record<string, unknown>;
  scope: string;
  requestAt: number;
}

export interface DataPoint {
  attributes?: KeyValue[];
  startTimeUnixNano?: string;
  timeUnixNano?: string;
  asDouble?: number;
  asInt?: string;
  count?: string;
  sum?: number;
  bucketCounts?: string[];
  explicitBounds?: number[];
  exemplars?: {
    traceId?: string;
    spanId?: string;
    asDouble?: number;
    timeUnixNano?: string;
  }[];
}

/** KeyValue list as a plain object (int64 as numbers when safe, else strings). */
export function attributes(list: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) {
    const v = kv.value ?? {};
    if ('stringValue' in v) out[kv.key] = v.stringValue;
    else if ('intValue' in v) {
      const n = Number(v.intValue);
      out[kv.key] = Number.isSafeInteger(n) ? n : String(v.intValue);
    } else if ('doubleValue' in v) out[kv.key] = v.doubleValue;
    else if ('boolValue' in v) out[kv.key] = v.boolValue;
    else out[kv.key] = v;
  }
  return out;
}
