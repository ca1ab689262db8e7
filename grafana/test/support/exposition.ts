// Reading a real /metrics answer (Prometheus text or OpenMetrics): which series names it has and
// the declared type of each metric family.
export interface Scrape {
  /** Sample names, e.g. http_server_request_duration_seconds_bucket, resilience_retries_total. */
  samples: Set<string>;
  /** Family name -> type, from the `# TYPE` lines (OpenMetrics counters omit `_total`). */
  types: Map<string, string>;
  /** Label names seen on each sample name. */
  labels: Map<string, Set<string>>;
  /** Whether any bucket sample carries an exemplar with a trace_id. */
  exemplars: boolean;
}

export function parseExposition(text: string): Scrape {
  const samples = new Set<string>();
  const types = new Map<string, string>();
  const labels = new Map<string, Set<string>>();
  let exemplars = false;
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      types.set(type[1] ?? '', type[2] ?? '');
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})?/.exec(line);
    if (!sample?.[1]) continue;
    samples.add(sample[1]);
    const seen = labels.get(sample[1]) ?? new Set<string>();
    for (const m of (sample[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) seen.add(m[1] ?? '');
    labels.set(sample[1], seen);
    if (sample[1].endsWith('_bucket') && / # \{[^}]*trace_id="[0-9a-f]{32}"/.test(line))
      exemplars = true;
  }
  return { samples, types, labels, exemplars };
}

/** The declared type of a metric, looked up with and without the `_total` suffix. */
export function typeOf(scrape: Scrape, metric: string): string | undefined {
  return scrape.types.get(metric) ?? scrape.types.get(metric.replace(/_total$/, ''));
}

/** Whether a scrape has a metric: the histogram's `_bucket` series, or the series itself. */
export function hasMetric(scrape: Scrape, metric: string, type: string): boolean {
  return type === 'histogram' ? scrape.samples.has(`${metric}_bucket`) : scrape.samples.has(metric);
}

export async function scrape(url: string): Promise<string> {
  const res = await fetch(url, {
    headers: { accept: 'application/openmetrics-text; version=1.0.0' },
  });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.text();
}
