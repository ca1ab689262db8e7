/**
 * The worker's side of tag-app-records.ts: reads the lines of the app's own loggers (winston,
 * bunyan, pino loggers the app made) into record shapes. Such a line carries a tag,
 * `"@o11y":[source, level, time?]`; the source's description (message key, severities, fields
 * that are not attributes) arrived once before its first line, as `"@o11y":{id, ...spec}`.
 */
import { fromMillis, type PinoLine, type RecordShape } from './otlp-log-encoding';

/** The field that tags a line from one of the app's own loggers. */
export const TAG = '@o11y';

/** How a source's lines read, as the main thread describes it. */
export interface SourceSpec {
  /** Instrumentation scope of its records: the logging library. */
  scope: string;
  messageKey: string;
  /** How the line's `time` reads; absent: the tag's time, else when the worker saw the line. */
  time?: 'epoch' | 'unix' | 'iso';
  /** Severity number by level (a number, or a name for winston). */
  severity: Record<string, number>;
  /** Severity text by level; a level name is its own text. */
  labels: Record<string, string>;
  /** Fields that are neither the body nor attributes. */
  omit: string[];
}

interface Source {
  spec: SourceSpec;
  notAttributes: ReadonlySet<string>;
}

/** Fields that become the record's trace context, never attributes. */
const TRACE_FIELDS = ['trace_id', 'span_id', 'trace_flags'];

const sources = new Map<number, Source>();

/**
 * What to do with a tagged line: a shape to ship it with, `null` when it only described a
 * source, or undefined when the tag is not one of ours (the line then ships as an SDK line).
 */
export function readAppRecord(line: PinoLine, tag: unknown): RecordShape | null | undefined {
  if (Array.isArray(tag)) {
    const source = typeof tag[0] === 'number' ? sources.get(tag[0]) : undefined;
    if (source === undefined) return undefined;
    const { spec } = source;
    const level = tag[1] as string | number;
    // Parsed from JSON, the tables have a prototype: a level named `constructor` is not in them.
    const severity: unknown = spec.severity[level];
    const label: unknown = spec.labels[level];
    return {
      scope: spec.scope,
      messageKey: spec.messageKey,
      time: typeof tag[2] === 'number' ? fromMillis(tag[2]) : timeOf(line.time, spec.time),
      severity: typeof severity === 'number' ? severity : 0,
      severityText:
        typeof label === 'string' ? label : typeof level === 'string' ? level : undefined,
      notAttributes: source.notAttributes,
    };
  }
  if (typeof tag === 'object' && tag !== null && typeof (tag as { id?: unknown }).id === 'number') {
    const spec = tag as SourceSpec & { id: number };
    sources.set(spec.id, {
      spec,
      notAttributes: new Set([TAG, ...TRACE_FIELDS, ...spec.omit]),
    });
    return null;
  }
  return undefined;
}

function timeOf(time: unknown, kind: SourceSpec['time']): [number, number] | undefined {
  let ms: number | undefined;
  if (kind === 'epoch' && typeof time === 'number') ms = time;
  else if (kind === 'unix' && typeof time === 'number') ms = time * 1000;
  else if (kind === 'iso' && typeof time === 'string') ms = Date.parse(time);
  return ms === undefined || Number.isNaN(ms) ? undefined : fromMillis(ms);
}
