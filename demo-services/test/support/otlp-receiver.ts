// A minimal OTLP/HTTP receiver for tests (services export with OTEL_EXPORTER_OTLP_PROTOCOL=http/json):
// it records which service reported which trace ids, accepts logs and metrics without keeping them,
// and counts the payloads (traces or logs) that contain a watched string (a secret must not leak).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  name: string;
  kind: number;
  events: string[];
}

interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: { stringValue?: string } }[] };
    scopeSpans?: {
      spans?: {
        traceId: string;
        spanId: string;
        name: string;
        kind?: number;
        events?: { name: string }[];
      }[];
    }[];
  }[];
}

const toHex = (id: string) =>
  /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  private readonly watched = new Map<string, number>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (this.watched.size > 0) {
          const text = Buffer.concat(chunks).toString('utf8');
          for (const [needle, n] of this.watched)
            if (text.includes(needle)) this.watched.set(needle, n + 1);
        }
        if (
          req.url?.endsWith('/v1/traces') &&
          (req.headers['content-type'] ?? '').includes('json')
        ) {
          try {
            this.record(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpTraces);
          } catch {
            // not ours to judge: the test looks at what was received
          }
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private record(body: OtlpTraces): void {
    for (const rs of body.resourceSpans ?? []) {
      const service =
        rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ??
        'unknown';
      for (const ss of rs.scopeSpans ?? [])
        for (const s of ss.spans ?? [])
          this.spans.push({
            service,
            traceId: toHex(s.traceId),
            spanId: toHex(s.spanId),
            name: s.name,
            kind: s.kind ?? 0,
            events: (s.events ?? []).map((e) => e.name),
          });
    }
  }

  /** From now on, count the exported payloads that contain `needle`. */
  watch(needle: string): void {
    this.watched.set(needle, 0);
  }

  sightings(needle: string): number {
    return this.watched.get(needle) ?? 0;
  }

  servicesInTrace(traceId: string): Set<string> {
    return new Set(this.spans.filter((s) => s.traceId === traceId).map((s) => s.service));
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}
