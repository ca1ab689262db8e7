import type { TraceState } from '@opentelemetry/api';

// W3C Trace Context Level 2 `tracestate`. A header with any member that breaks the grammar, or
// with more than 32 members, is discarded whole: the spec allows dropping only the bad entries
// too, but the W3C test suite (strict level 2) requires the whole header to go, since a partly
// understood list may no longer say what its vendors meant. Extraction validates in one scan and
// keeps the header's own text when it is already canonical, so a request carrying tracestate
// costs no parsing into a map unless something reads or changes an entry.

export const MAX_MEMBERS = 32;
const MAX_KEY = 256;
const MAX_VALUE = 256;

const COMMA = 44;
const EQUALS = 61;
const SPACE = 32;
const TAB = 9;

/** lcalpha / DIGIT: what a key starts with. */
function isKeyStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
}

/** keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@" */
function isKeyChar(c: number): boolean {
  return isKeyStart(c) || c === 95 || c === 45 || c === 42 || c === 47 || c === 64;
}

/** chr = %x20-7E except "," and "=". */
function isValueChar(c: number): boolean {
  return c >= SPACE && c <= 126 && c !== COMMA && c !== EQUALS;
}

export function isValidKey(key: string): boolean {
  if (key.length === 0 || key.length > MAX_KEY || !isKeyStart(key.charCodeAt(0))) return false;
  for (let i = 1; i < key.length; i++) if (!isKeyChar(key.charCodeAt(i))) return false;
  return true;
}

export function isValidValue(value: string): boolean {
  if (value.length === 0 || value.length > MAX_VALUE) return false;
  for (let i = 0; i < value.length; i++) if (!isValueChar(value.charCodeAt(i))) return false;
  return value.charCodeAt(value.length - 1) !== SPACE;
}

/**
 * Validates a combined `tracestate` value and returns its canonical text (members joined by a
 * bare comma, OWS and empty members removed, later duplicates of a key dropped), or undefined
 * when the header is invalid or holds no member: an empty tracestate is never sent on.
 */
export function canonicalTraceState(header: string): string | undefined {
  const n = header.length;
  const keys: string[] = [];
  let out = '';
  let i = 0;
  while (i < n) {
    let c = header.charCodeAt(i);
    while (i < n && (c === SPACE || c === TAB)) c = header.charCodeAt(++i);
    if (i === n) break;
    if (c === COMMA) {
      i++; // empty member: allowed, and dropped
      continue;
    }
    const keyStart = i;
    if (!isKeyStart(c)) return undefined;
    while (++i < n && isKeyChar(header.charCodeAt(i)));
    if (i - keyStart > MAX_KEY || header.charCodeAt(i) !== EQUALS) return undefined;
    const key = header.slice(keyStart, i);
    const valueStart = ++i;
    while (i < n && isValueChar(header.charCodeAt(i))) i++;
    let valueEnd = i;
    while (valueEnd > valueStart && header.charCodeAt(valueEnd - 1) === SPACE) valueEnd--; // OWS
    if (valueEnd === valueStart || valueEnd - valueStart > MAX_VALUE) return undefined;
    c = header.charCodeAt(i);
    while (i < n && (c === SPACE || c === TAB)) c = header.charCodeAt(++i);
    if (i < n && c !== COMMA) return undefined; // `=`, a tab inside a value, a control char
    i++;
    if (keys.includes(key)) continue;
    if (keys.length === MAX_MEMBERS) return undefined;
    keys.push(key);
    const member = header.slice(keyStart, valueEnd);
    out = out === '' ? member : `${out},${member}`;
  }
  if (out === '') return undefined;
  // Nothing dropped: hand back the header itself rather than the concatenated copy.
  return out.length === n ? header : out;
}

/**
 * An immutable trace state over canonical text. Entries are split out only when read or changed
 * (a sampler or a vendor's code); propagation itself only serializes.
 */
export class W3CTraceState implements TraceState {
  private entries: [string, string][] | undefined;

  constructor(private readonly text: string) {}

  /** The trace state of a combined header, or undefined when it is invalid or empty. */
  static fromHeader(header: string): W3CTraceState | undefined {
    const text = canonicalTraceState(header);
    return text === undefined ? undefined : new W3CTraceState(text);
  }

  private list(): [string, string][] {
    if (this.entries === undefined) {
      this.entries = this.text.split(',').map((m) => {
        const eq = m.indexOf('=');
        return [m.slice(0, eq), m.slice(eq + 1)];
      });
    }
    return this.entries;
  }

  get(key: string): string | undefined {
    for (const [k, v] of this.list()) if (k === key) return v;
    return undefined;
  }

  /** A new state with the entry first (modified keys move left); an invalid entry is ignored. */
  set(key: string, value: string): TraceState {
    if (!isValidKey(key) || !isValidValue(value)) return this;
    const rest = this.list().filter(([k]) => k !== key);
    // Adding beyond 32 members removes the right-most one.
    if (rest.length >= MAX_MEMBERS) rest.length = MAX_MEMBERS - 1;
    return W3CTraceState.of([[key, value], ...rest]);
  }

  unset(key: string): TraceState {
    const rest = this.list().filter(([k]) => k !== key);
    return rest.length === this.list().length ? this : W3CTraceState.of(rest);
  }

  serialize(): string {
    return this.text;
  }

  private static of(entries: [string, string][]): W3CTraceState {
    const state = new W3CTraceState(entries.map(([k, v]) => `${k}=${v}`).join(','));
    state.entries = entries;
    return state;
  }
}
