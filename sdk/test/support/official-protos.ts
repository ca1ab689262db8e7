import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type * as Protobuf from 'protobufjs';

// The official OTLP protos (opentelemetry-proto) decoded with protobufjs, so that what the SDK
// writes by hand is read by a decoder nobody here wrote. The protos come from the Go module proxy
// (the repository is served as a module), cached in the Go module cache like the backends' sources.
// protobufjs is in the workspace through @grpc/proto-loader.
const protobuf = createRequire(require.resolve('@grpc/proto-loader'))(
  'protobufjs',
) as typeof Protobuf;

const PROTO_MODULE = 'github.com/open-telemetry/opentelemetry-proto@v1.11.0';
let root: Protobuf.Root | undefined;

/** The folder of the official protos, downloaded once into the Go module cache. */
function protoRoot(): string {
  try {
    const out = execFileSync('go', ['mod', 'download', '-json', PROTO_MODULE], {
      encoding: 'utf8',
      cwd: __dirname,
      env: { ...process.env, GOFLAGS: '-mod=mod' },
      timeout: 120_000,
    });
    return (JSON.parse(out) as { Dir: string }).Dir;
  } catch (err) {
    throw new Error(
      `the official OTLP protos could not be fetched (${(err as Error).message}); they come from the Go module proxy: install Go (https://go.dev/dl) and run: go mod download ${PROTO_MODULE}`,
      { cause: err },
    );
  }
}

function loadRoot(): Protobuf.Root {
  if (root !== undefined) return root;
  const r = new protobuf.Root();
  const dir = protoRoot();
  r.resolvePath = (_origin, target) => join(dir, target);
  r.loadSync(
    [
      'opentelemetry/proto/collector/metrics/v1/metrics_service.proto',
      'opentelemetry/proto/collector/logs/v1/logs_service.proto',
      'opentelemetry/proto/collector/trace/v1/trace_service.proto',
    ],
    { keepCase: false },
  );
  return (root = r);
}

const TYPES = {
  metrics: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
  logs: 'opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest',
  traces: 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest',
} as const;

/**
 * An OTLP request body decoded with the official protos, as a plain object: 64-bit integers as
 * decimal strings, bytes as hex, enums as numbers, oneof fields only when set.
 */
export function decodeOfficial(
  signal: keyof typeof TYPES,
  body: Uint8Array,
): Record<string, unknown> {
  const type = loadRoot().lookupType(TYPES[signal]);
  const message = type.decode(body);
  const object = type.toObject(message, { longs: String, bytes: String, oneofs: true });
  return hexBytes(object) as Record<string, unknown>;
}

/** protobufjs gives bytes as base64; ids are compared as hex. */
function hexBytes(v: unknown, key = ''): unknown {
  if (Array.isArray(v)) return v.map((x) => hexBytes(x));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = hexBytes(x, k);
    return out;
  }
  if (typeof v === 'string' && /^(traceId|spanId|parentSpanId)$/.test(key))
    return Buffer.from(v, 'base64').toString('hex');
  return v;
}
