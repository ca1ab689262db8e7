import {
  InMemoryLogRecordExporter,
  LoggerProvider,
  SimpleLogRecordProcessor,
} from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { writeLogRecord, type PinoLine } from '../src/logging/otlp-log-encoding';
import { toRecord } from '../src/logging/otlp-worker';
import { encodeRequest, encodeResource, encodeScope } from '../src/otlp/common-encoding';
import { ProtobufWriter } from '../src/otlp/protobuf-writer';
import { decodeOfficial } from './support/official-protos';
import { attributes as kvs, type KeyValue } from './support/otlp-capture';
import { fields, referenceSerializer, type Field } from './support/protobuf';

// The reference: the logs SDK fed by the worker's own mapping, serialised by the OTLP exporter's
// serializer. That is the path http/json still takes, and the one http/protobuf took before.
const ProtobufLogsSerializer = referenceSerializer<{
  serializeRequest(records: ReadableLogRecord[]): Uint8Array;
}>('@opentelemetry/exporter-logs-otlp-proto', './logs/protobuf', 'ProtobufLogsSerializer');
const { DEFAULT_SEVERITY_NUMBER_MAP: SEVERITY } = createRequire(__filename)(
  'pino-opentelemetry-transport/lib/opentelemetry-mapper',
) as { DEFAULT_SEVERITY_NUMBER_MAP: Record<number, number> };
const LABELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/** observed_time_unix_nano (LogRecord field 11) is the clock at encoding: left out. */
function withoutObservedTime(tree: Field[]): Field[] {
  return tree
    .filter(([n, v]) => !(n === 11 && typeof v === 'string' && v.length === 16))
    .map(([n, v]) => [n, Array.isArray(v) ? withoutObservedTime(v as Field[]) : v]);
}

describe('OTLP log record encoding', () => {
  it('encodes pino lines as the logs SDK and the OTLP exporter do, field for field', async () => {
    const lines: PinoLine[] = [
      {
        level: 30,
        time: 1_795_752_328_123,
        pid: 42,
        hostname: 'h',
        msg: 'order received',
        trace_id: '0af7651916cd43dd8448eb211c80319c',
        span_id: 'b7ad6b7169203331',
        trace_flags: '01',
        orderId: 42,
        ratio: 2.5,
        ok: false,
        body: { item: 'bóok', tags: ['a', 'b'], nested: { deep: true, n: -3 } },
        long: 'x'.repeat(300),
      },
      {
        level: 50,
        time: 1_795_752_328_999,
        msg: 'failed',
        err: { type: 'Error', message: 'boom' },
      },
      {
        level: 30,
        time: 1_795_752_329_000,
        msg: 'unsampled',
        trace_id: '1af7651916cd43dd8448eb211c80319c',
        span_id: 'c7ad6b7169203331',
        trace_flags: '00',
      },
      { level: 35, time: 1_795_752_329_001, msg: 'custom level' },
      // integers of 2^53 and above are int_value too, as upstream writes them
      { level: 30, time: 1_795_752_329_002, msg: 'big', a: 2 ** 53, b: 2 ** 62, c: -(2 ** 60) },
    ];

    const memory = new InMemoryLogRecordExporter();
    const attributes = { 'service.name': 'logs', 'service.version': '1.0.0' };
    const provider = new LoggerProvider({
      resource: resourceFromAttributes(attributes),
      processors: [new SimpleLogRecordProcessor({ exporter: memory })],
    });
    const logger = provider.getLogger('logs', '1.0.0');
    for (const line of lines) logger.emit(toRecord(line, 'msg', LABELS));
    await provider.forceFlush();
    const reference = Buffer.from(
      ProtobufLogsSerializer.serializeRequest(memory.getFinishedLogRecords()),
    );

    const w = new ProtobufWriter(64);
    for (const line of lines) {
      w.byte(0x12);
      const at = w.begin();
      writeLogRecord(w, line, 'msg', { labels: LABELS, severity: SEVERITY }, [1_795_752_330, 0]);
      w.end(at);
    }
    const ours = encodeRequest(encodeResource(attributes), undefined, [
      {
        scope: encodeScope({ name: 'logs', version: '1.0.0' }),
        schemaUrl: undefined,
        records: w.buf.subarray(0, w.pos),
      },
    ]);

    const decoded = withoutObservedTime(fields(ours));
    expect(decoded).toEqual(withoutObservedTime(fields(reference)));
    expect(
      JSON.stringify(decoded, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    ).toContain(Buffer.from('order received').toString('hex'));
  });

  it('leaves out empty keys, at the top and nested, and writes integers as int_value', () => {
    const line: PinoLine = {
      level: 30,
      time: 1_795_752_328_123,
      msg: 'keys',
      '': 'no key',
      nested: { '': 1, kept: 2 },
      safe: 42,
      big: 2 ** 60,
      // what JSON.parse gives for 9007199254740993: the nearest double, sent exactly as such
      rounded: JSON.parse('9007199254740993') as number,
      beyondInt64: 1e20,
      ratio: 0.5,
    };
    const w = new ProtobufWriter(64);
    w.byte(0x12);
    const at = w.begin();
    writeLogRecord(w, line, 'msg', { labels: LABELS, severity: SEVERITY }, [1_795_752_330, 0]);
    w.end(at);
    const body = encodeRequest(encodeResource({ 'service.name': 'x', '': 'y' }), undefined, [
      {
        scope: encodeScope({ name: 'logs' }),
        schemaUrl: undefined,
        records: w.buf.subarray(0, w.pos),
      },
    ]);
    const decoded = decodeOfficial('logs', body) as {
      resourceLogs: {
        resource: { attributes: KeyValue[] };
        scopeLogs: { logRecords: { attributes: KeyValue[] }[] }[];
      }[];
    };
    const rl = decoded.resourceLogs[0]!;
    expect(rl.resource.attributes.map((a) => a.key)).toEqual(['service.name']);
    const list = rl.scopeLogs[0]!.logRecords[0]!.attributes;
    expect(list.map((a) => a.key)).toEqual([
      'nested',
      'safe',
      'big',
      'rounded',
      'beyondInt64',
      'ratio',
    ]);
    const nested = list[0]!.value!.kvlistValue as { values: KeyValue[] };
    expect(nested.values.map((a) => a.key)).toEqual(['kept']);
    const byKey = Object.fromEntries(list.map((a) => [a.key, a.value]));
    expect(byKey.safe).toEqual({ intValue: '42', value: 'intValue' });
    expect(byKey.big).toEqual({ intValue: '1152921504606846976', value: 'intValue' });
    expect(byKey.rounded).toEqual({ intValue: '9007199254740992', value: 'intValue' });
    // outside int64 an integer stays a double (upstream's encoder would saturate it)
    expect(byKey.beyondInt64).toEqual({ doubleValue: 1e20, value: 'doubleValue' });
    expect(kvs(list).ratio).toBe(0.5);
  });
});
