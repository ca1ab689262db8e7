/* eslint-disable @typescript-eslint/no-require-imports -- each loader requires its package only when called: table.ts calls it only when the app can resolve the library */
import type {
  Instrumentation,
  InstrumentationModuleDefinition,
} from '@opentelemetry/instrumentation';
import type { PinoModule } from '../logging/tag-app-records';

// The app's own loggers: trace_id, span_id and trace_flags on every record (upstream's
// instrumentations, correlation only), and every record shipped over OTLP once, through the
// SDK's own shipping worker (logging/tag-app-records.ts). Upstream's log sending stays off: it
// would need a second OTLP pipeline (a global LoggerProvider), parses every pino line on the
// main thread, and for winston needs @opentelemetry/winston-transport.

const records = () =>
  require('../logging/tag-app-records') as typeof import('../logging/tag-app-records');

type Patch = (exports: unknown, version?: string) => unknown;

/** Runs `after` once `target`'s patch (upstream's) has run, with what the patch returned. */
function afterPatch(
  target: { patch?: Patch | undefined },
  after: (exports: unknown, patched: unknown) => unknown,
): void {
  const patch = target.patch;
  if (patch === undefined) return;
  target.patch = (exports, version) => after(exports, patch(exports, version));
}

/** An upstream logger instrumentation whose patches are followed by the SDK's own. */
function extended<T extends Instrumentation>(
  Base: new (config: { disableLogSending: boolean }) => T,
  extend: (definitions: InstrumentationModuleDefinition[]) => void,
): T {
  const Extended = class extends (Base as new (config: object) => Instrumentation) {
    // Called from the base constructor, before this class's own fields exist (it has none).
    protected init(): InstrumentationModuleDefinition[] {
      const definitions = [
        (Base.prototype as unknown as { init: () => InstrumentationModuleDefinition[] }).init.call(
          this,
        ),
      ].flat();
      extend(definitions);
      return definitions;
    }
  };
  return new Extended({ disableLogSending: true }) as unknown as T;
}

const isEsm = (m: unknown): boolean =>
  (m as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag] === 'Module';

// ---- pino ---------------------------------------------------------------------------------

type PinoFactory = ((...args: unknown[]) => PinoLogger) &
  PinoModule & {
    multistream?: (streams: object[], options: object) => unknown;
    symbols: { streamSym: symbol };
    pino?: unknown;
    default?: unknown;
  };
interface PinoLogger {
  levels: { values: Record<string, number>; labels: Record<number, string> };
  [key: symbol]: unknown;
}
const SHIPPED = Symbol('@o11y/sdk.shipped');

/**
 * Wraps pino's factory (as upstream patched it) so that each logger the app makes writes to a
 * pino.multistream of its own destination and the SDK's shipping stream. The SDK's own logger
 * is made before this patch exists, so its lines keep their single way out.
 */
function shipPinoLoggers(module: unknown, patched: unknown): unknown {
  const esm = isEsm(module);
  const ns = module as { default?: unknown; pino?: unknown };
  const factory = (esm ? ns.default : patched) as PinoFactory;
  if (typeof factory !== 'function' || typeof factory.multistream !== 'function') return patched;
  const { appLinesShipped } =
    require('../logging/shipping') as typeof import('../logging/shipping');
  const shipping: PinoFactory = Object.assign(function (this: unknown, ...args: unknown[]) {
    const logger = factory.apply(this, args);
    // Logs off: the logger stays exactly as the app made it. A factory wrapped twice (the module
    // seen both as CommonJS and ES module) ships once.
    if (!appLinesShipped() || logger[SHIPPED] === true) return logger;
    logger[SHIPPED] = true;
    const { streamSym } = factory.symbols;
    logger[streamSym] = factory.multistream!(
      [
        // Level 0: the logger has already decided what to write.
        { level: 0, stream: logger[streamSym] },
        { level: 0, stream: records().pinoShippingStream(logger, factory) },
      ],
      { levels: logger.levels.values },
    );
    return logger;
  }, factory);
  if (typeof shipping.pino === 'function') shipping.pino = shipping;
  if (typeof shipping.default === 'function') shipping.default = shipping;
  if (esm) {
    if (ns.pino) ns.pino = shipping;
    ns.default = shipping;
  }
  return shipping;
}

export function pino(): Instrumentation {
  const { PinoInstrumentation } =
    require('@opentelemetry/instrumentation-pino') as typeof import('@opentelemetry/instrumentation-pino');
  return extended(PinoInstrumentation, (definitions) => {
    for (const d of definitions) afterPatch(d, shipPinoLoggers);
  });
}

// ---- winston ------------------------------------------------------------------------------

const WRAPPED = Symbol('@o11y/sdk.wrapped');

/**
 * winston 3's Logger pushes each record, once its format has run, to the transports it pipes
 * into: there, once per record whatever the number of transports, is where it ships.
 */
function shipWinstonRecords(Logger: unknown): unknown {
  const proto = (Logger as { prototype?: Record<string | symbol, unknown> } | undefined)?.prototype;
  if (typeof proto?._transform !== 'function' || typeof proto.push !== 'function') return Logger;
  if (proto[WRAPPED] === true) return Logger;
  const push = proto.push as (this: unknown, chunk: unknown, encoding?: unknown) => boolean;
  const { shipWinstonRecord } = records();
  proto[WRAPPED] = true;
  proto.push = function (this: object, chunk: unknown, encoding?: unknown) {
    try {
      shipWinstonRecord(this, chunk);
    } catch {
      // Shipping never costs the app its log line.
    }
    return push.call(this, chunk, encoding);
  };
  return Logger;
}

export function winston(): Instrumentation {
  const { WinstonInstrumentation } =
    require('@opentelemetry/instrumentation-winston') as typeof import('@opentelemetry/instrumentation-winston');
  return extended(WinstonInstrumentation, (definitions) => {
    for (const d of definitions)
      for (const f of d.files) afterPatch(f, (_, p) => shipWinstonRecords(p));
  });
}

// ---- bunyan -------------------------------------------------------------------------------

/** bunyan's Logger#_emit gets every record some stream of the logger takes. */
function shipBunyanRecords(module: unknown, patched: unknown): unknown {
  const Logger = (isEsm(module) ? (module as { default?: unknown }).default : module) as
    { prototype?: Record<string | symbol, unknown> } | undefined;
  const proto = Logger?.prototype;
  if (typeof proto?._emit !== 'function' || proto[WRAPPED] === true) return patched;
  // Upstream's _emit (which adds the trace ids) runs inside this one.
  const emit = proto._emit as (this: unknown, rec: unknown, noemit?: unknown) => unknown;
  const { shipBunyanRecord } = records();
  proto[WRAPPED] = true;
  proto._emit = function (this: unknown, rec: unknown, noemit?: unknown) {
    const json = emit.call(this, rec, noemit);
    // noemit: a DTrace probe wants the serialised record, nothing is logged.
    if (!noemit)
      try {
        shipBunyanRecord(rec, json);
      } catch {
        // Shipping never costs the app its log line.
      }
    return json;
  };
  return patched;
}

export function bunyan(): Instrumentation {
  const { BunyanInstrumentation } =
    require('@opentelemetry/instrumentation-bunyan') as typeof import('@opentelemetry/instrumentation-bunyan');
  return extended(BunyanInstrumentation, (definitions) => {
    for (const d of definitions) afterPatch(d, shipBunyanRecords);
  });
}
