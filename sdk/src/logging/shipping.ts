import { pino } from 'pino';
import type { Config } from '../config/options';
import { warnOnce } from '../config/warn';
import { destinations, logger } from './logger';

type Transport = ReturnType<typeof pino.transport>;
let transport: Transport | undefined;

/** NODE_OPTIONS for the worker without our own preload, so the worker does not start an SDK itself. */
function workerNodeOptions(value: string | undefined): string | undefined {
  if (!value) return value;
  return value.replace(/(^|\s)(--import|--require|-r)(=|\s+)\S*o11y\/sdk\/register\S*/g, ' ').trim();
}

/**
 * Ships the logger's lines over OTLP from a worker thread (pino-opentelemetry-transport), with the
 * same resource attributes as the traces. Only this path ships logs: instrumentation-pino's own
 * sending stays off.
 */
export function startLogShipping(config: Config, attributes: Record<string, string | number | boolean>): void {
  if (transport !== undefined || config.logsExporter === 'none') return;
  const exporterOptions =
    config.logsProtocol === 'http/json'
      ? { protocol: 'http', httpExporterOptions: { url: config.logsEndpoint } }
      : { protocol: 'http/protobuf', protobufExporterOptions: { url: config.logsEndpoint } };
  try {
    const t = pino.transport({
      target: require.resolve('pino-opentelemetry-transport'),
      options: {
        loggerName: config.serviceName,
        serviceVersion: config.serviceVersion,
        resourceAttributes: attributes,
        logRecordProcessorOptions: { recordProcessorType: 'batch', exporterOptions },
      },
      worker: {
        execArgv: [],
        // Resource detection happens here once, so both signals carry identical attributes.
        env: { ...process.env, NODE_OPTIONS: workerNodeOptions(process.env.NODE_OPTIONS) ?? '', OTEL_NODE_RESOURCE_DETECTORS: 'none' },
      },
    });
    // pino only sends its config to a transport passed to pino() directly; this one sits in a
    // multistream, and the transport waits for the config before it processes a single line.
    t.emit('message', { code: 'PINO_CONFIG', config: { levels: logger.levels, messageKey: 'msg', errorKey: 'err' } });
    t.on('error', (err: Error) => warnOnce('logs-transport', `log shipping stopped (${err.message}); lines still go to stdout`));
    destinations.add({ level: 'trace', stream: t });
    transport = t;
  } catch (err) {
    warnOnce('logs-transport', `log shipping could not start (${(err as Error).message}); lines still go to stdout`);
  }
}

/** Stops shipping: ends the worker, which exports what it holds; resolves when done or at the deadline. */
export function stopLogShipping(deadlineMs: number): Promise<void> {
  const t = transport;
  if (t === undefined) return Promise.resolve();
  transport = undefined;
  try {
    logger.flush();
  } catch {
    // stdout may be gone at exit
  }
  const ms = destinations as unknown as { streams: { id: number; stream: unknown }[]; remove?: (id: number) => void };
  const entry = ms.streams.find((s) => s.stream === t);
  if (entry !== undefined) ms.remove?.(entry.id);
  return new Promise<void>((resolveStop) => {
    // Keep the process alive until the worker has exported what it holds, or the deadline passes.
    (t as unknown as { ref?: () => void }).ref?.();
    const timer = setTimeout(resolveStop, deadlineMs);
    t.once('close', () => {
      clearTimeout(timer);
      resolveStop();
    });
    try {
      t.end();
    } catch {
      clearTimeout(timer);
      resolveStop();
    }
  });
}
