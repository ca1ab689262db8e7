/**
 * Records of the app's own loggers (winston, bunyan, pino loggers the app makes, fastify's) as
 * JSON lines for the SDK's shipping worker: the same batches, worker, resource and OTLP endpoint
 * as the SDK's logger. Each line gets a tag, `"@o11y":[source, level, time?]`, spliced in front of
 * the record's own fields; the worker reads it back with the source's description, sent once
 * before its first line (read-app-records.ts). A pino or bunyan line is the very string the
 * library wrote to stdout, so nothing is serialised twice.
 */
import { TAG, type SourceSpec } from './read-app-records';
import { BY_TENS, severityOfNumericLevel } from './severity';
import { appLinesShipped, shipAppLine } from './shipping';

// One source per distinct description: loggers made alike (fastify's per-request children, an
// app's loggers per module) share one.
const sources = new Map<string, AppSource>();
let nextId = 1;

class AppSource {
  private announced = false;
  private readonly prefix: string;
  private readonly announcement: string;

  constructor(spec: SourceSpec) {
    const id = nextId++;
    this.prefix = `{"${TAG}":[${id},`;
    this.announcement = `${JSON.stringify({ [TAG]: { id, ...spec } })}\n`;
  }

  /** Ships one JSON object line (newline-terminated) with its level and, if known, its time. */
  ship(json: string, level: number | string, time?: number): void {
    if (json.charCodeAt(0) !== 0x7b /* { */) return;
    if (!this.announced) {
      this.announced = true;
      shipAppLine(this.announcement);
    }
    const l = typeof level === 'number' ? level : JSON.stringify(level);
    const tag = time === undefined ? `${this.prefix}${l}]` : `${this.prefix}${l},${time}]`;
    // `{}` has no field to put a comma before.
    shipAppLine(
      json.charCodeAt(1) === 0x7d /* } */ ? tag + json.slice(1) : `${tag},${json.slice(1)}`,
    );
  }
}

function source(spec: SourceSpec): AppSource {
  const key = JSON.stringify(spec);
  let s = sources.get(key);
  if (s === undefined) sources.set(key, (s = new AppSource(spec)));
  return s;
}

// ---- winston ------------------------------------------------------------------------------

/** winston's npm, syslog and cli level names, as @opentelemetry/winston-transport maps them. */
const WINSTON_SEVERITY: Record<string, number> = {
  error: 17,
  warn: 13,
  info: 9,
  http: 7,
  verbose: 6,
  debug: 5,
  silly: 1,
  emerg: 23,
  alert: 22,
  crit: 21,
  warning: 13,
  notice: 10,
  help: 11,
  data: 10,
  prompt: 4,
  input: 2,
};
const LEVEL = Symbol.for('level');

interface WinstonLogger {
  level?: string;
  levels?: Record<string, number>;
}

/**
 * Ships one record a winston logger has formatted (what it hands its transports), if the
 * logger's level lets it through: winston filters in each transport, so every record reaches
 * this point. `level` may be colourised by a format; the LEVEL symbol is the plain name.
 */
export function shipWinstonRecord(logger: WinstonLogger, info: unknown): void {
  if (info === null || typeof info !== 'object' || !appLinesShipped()) return;
  const record = info as { [LEVEL]?: unknown; level?: unknown; message?: unknown };
  const level = record[LEVEL] ?? record.level;
  if (typeof level !== 'string') return;
  const rank = logger.levels?.[level];
  const threshold = logger.level === undefined ? undefined : logger.levels?.[logger.level];
  if (rank !== undefined && threshold !== undefined && rank > threshold) return;
  let json: string;
  try {
    json = JSON.stringify(record);
  } catch {
    // A cycle or a BigInt among the metadata: the message still ships.
    json = JSON.stringify({ message: String(record.message) });
  }
  winston().ship(`${json}\n`, level, Date.now());
}

let winstonSource: AppSource | undefined;
const winston = (): AppSource =>
  (winstonSource ??= source({
    scope: 'winston',
    messageKey: 'message',
    severity: WINSTON_SEVERITY,
    labels: {},
    omit: ['level'],
  }));

// ---- bunyan -------------------------------------------------------------------------------

const BUNYAN_NAMES: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

/**
 * Ships one record a bunyan logger emitted. `json` is the line bunyan wrote to its non-raw
 * streams; a logger with raw streams only has none, and the record is serialised here.
 */
export function shipBunyanRecord(rec: unknown, json: unknown): void {
  if (rec === null || typeof rec !== 'object' || !appLinesShipped()) return;
  let line = json;
  if (typeof line !== 'string') {
    try {
      line = `${JSON.stringify(rec)}\n`;
    } catch {
      return;
    }
  }
  const level = (rec as { level?: unknown }).level;
  bunyan().ship(line as string, typeof level === 'number' ? level : 0);
}

let bunyanSource: AppSource | undefined;
const bunyan = (): AppSource =>
  (bunyanSource ??= source({
    scope: 'bunyan',
    messageKey: 'msg',
    time: 'iso',
    severity: BY_TENS,
    labels: BUNYAN_NAMES,
    // What upstream's bunyan stream drops too: the format version, and what the resource says.
    omit: ['v', 'hostname', 'pid', 'time', 'level'],
  }));

// ---- pino ---------------------------------------------------------------------------------

/** The parts of the pino module read here. */
export interface PinoModule {
  symbols: { messageKeySym: symbol; timeSym: symbol };
  stdTimeFunctions: Record<'epochTime' | 'unixTime' | 'isoTime' | 'nullTime', unknown>;
}
interface PinoLogger {
  levels: { values: Record<string, number>; labels: Record<number, string> };
  [key: symbol]: unknown;
}

/**
 * A pino destination that ships every line its logger writes. It sits next to the logger's own
 * destination in a pino.multistream, which tells it each line's numeric level (`lastLevel`):
 * the line's `level` field may be anything `formatters.level` made of it.
 */
export function pinoShippingStream(
  logger: PinoLogger,
  pino: PinoModule,
): { write(line: string): void; lastLevel: number } {
  const severity: Record<number, number> = {};
  for (const value of Object.values(logger.levels.values))
    severity[value] = severityOfNumericLevel(value);
  const t = logger[pino.symbols.timeSym];
  const std = pino.stdTimeFunctions;
  const time =
    t === std.epochTime
      ? 'epoch'
      : t === std.unixTime
        ? 'unix'
        : t === std.isoTime
          ? 'iso'
          : undefined;
  const messageKey = logger[pino.symbols.messageKeySym];
  const s = source({
    scope: 'pino',
    messageKey: typeof messageKey === 'string' ? messageKey : 'msg',
    // A custom timestamp is kept as an attribute; the record's time is when it was seen.
    ...(time === undefined ? {} : { time }),
    severity,
    labels: { ...logger.levels.labels },
    omit: time === undefined ? ['level', 'hostname', 'pid'] : ['level', 'hostname', 'pid', 'time'],
  });
  return {
    // pino.multistream sets lastLevel (and the rest of a line's metadata) on such a stream.
    [Symbol.for('pino.metadata')]: true,
    lastLevel: 0,
    write(line: string) {
      if (appLinesShipped()) s.ship(line, this.lastLevel);
    },
  };
}
