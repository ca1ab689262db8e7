// Scrapes the app's Prometheus endpoint on a fixed interval, as Prometheus would, and prints the
// SDK's own drop counters after each scrape (one JSON line). Run as a process:
//   node scraper.mjs <metrics-url> [interval-ms]
import { fileURLToPath } from 'node:url';

const DROP_COUNTERS = {
  spans: 'o11y_sdk_spans_dropped_total',
  logs: 'o11y_sdk_log_records_dropped_total',
};

/** Sums every series of each drop counter; null when the app does not expose it. */
export function parseDropCounters(text) {
  const out = {};
  for (const [key, name] of Object.entries(DROP_COUNTERS)) {
    let total = null;
    for (const line of text.split('\n')) {
      if (!line.startsWith(name)) continue;
      const rest = line.slice(name.length);
      if (rest[0] !== ' ' && rest[0] !== '{') continue;
      // Value is the first field after the labels; an exemplar or timestamp may follow.
      const value = Number(
        rest
          .replace(/^\{[^}]*\}/, '')
          .trim()
          .split(/\s+/)[0],
      );
      if (Number.isFinite(value)) total = (total ?? 0) + value;
    }
    out[key] = total;
  }
  return out;
}

export async function scrapeOnce(url) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) return { ok: false, status: res.status, spans: null, logs: null };
    return { ok: true, ...parseDropCounters(await res.text()) };
  } catch (err) {
    return {
      ok: false,
      error: String(err?.cause?.code ?? err?.message ?? err),
      spans: null,
      logs: null,
    };
  }
}

async function main() {
  const [url, intervalArg] = process.argv.slice(2);
  const interval = Number(intervalArg ?? 5000);
  // The first scrape runs at once, and the launcher waits for it: loading fetch is a burst of
  // CPU that would otherwise land inside a measured window (a warm Prometheus loads nothing).
  for (;;) {
    process.stdout.write(`${JSON.stringify(await scrapeOnce(url))}\n`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
