/**
 * The SDK's only voice on stderr. Warnings go here so that a bad setting is reported once,
 * in one recognisable format, and never as an exception thrown into the app.
 */
const PREFIX = '[@o11y/sdk] ';
const seen = new Set<string>();

/** Writes one warning line; the same key is reported only once per process. */
export function warnOnce(key: string, message: string): void {
  if (seen.has(key)) return;
  seen.add(key);
  warn(message);
}

/** Writes one warning line to stderr; never throws. */
export function warn(message: string): void {
  try {
    process.stderr.write(`${PREFIX}warning: ${message}\n`);
  } catch {
    // stderr closed: nothing sensible left to do
  }
}

/**
 * A warning that is repeated at most once per interval, for conditions that persist
 * (a collector that stays down) and would otherwise flood the app's stderr.
 */
export function rateLimitedWarner(intervalMs: number): (key: string, message: string) => void {
  const last = new Map<string, number>();
  return (key, message) => {
    const now = Date.now();
    const prev = last.get(key);
    if (prev !== undefined && now - prev < intervalMs) return;
    last.set(key, now);
    warn(message);
  };
}
