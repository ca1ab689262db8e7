import { randomBytes } from 'node:crypto';

// pino writes a BigInt field as its exact digits (and a Number as its shortest decimal form,
// which JSON.parse turns back into the very same double, so nothing of a Number is lost).
// JSON.parse would round such digits to a double; a line with a number of 16 or more digits
// is therefore parsed with its unsafe integers kept as bigint, which the OTLP encoder writes as
// int_value (beyond int64, as a double like any number there). Other lines take JSON.parse.

// A value (after a colon, comma or bracket: pino writes no spaces) of 16 or more digits.
const LONG_DIGITS = /[:,[]-?\d{16}/;
/** Marks a rewritten integer; a private-use character and a per-process nonce: no line has it. */
const MARK = `\uE000${randomBytes(6).toString('hex')}:`;

function revive(_key: string, value: unknown): unknown {
  return typeof value === 'string' && value.startsWith(MARK)
    ? BigInt(value.slice(MARK.length))
    : value;
}

/** JSON.parse, except that integers beyond 2^53 come back exactly, as bigint. */
export function parseLine(line: string): unknown {
  if (!LONG_DIGITS.test(line)) return JSON.parse(line);
  let out = '';
  let copied = 0;
  let inString = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (inString) {
      if (c === 92)
        i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
      continue;
    }
    if (c === 34) {
      inString = true;
      continue;
    }
    if (c !== 45 && (c < 48 || c > 57)) continue;
    // A number token outside strings: integers only (no fraction, no exponent).
    let end = i + 1;
    while (end < line.length && line.charCodeAt(end) >= 48 && line.charCodeAt(end) <= 57) end++;
    const next = line[end];
    if (next === '.' || next === 'e' || next === 'E') {
      // A fraction or an exponent: the rest of the token stays a double.
      while (end < line.length && /[0-9.eE+-]/.test(line[end]!)) end++;
    } else {
      const token = line.slice(i, end);
      if (!Number.isSafeInteger(Number(token))) {
        out += `${line.slice(copied, i)}"${MARK}${token}"`;
        copied = end;
      }
    }
    i = end - 1;
  }
  if (copied === 0) return JSON.parse(line);
  return JSON.parse(out + line.slice(copied), revive);
}
