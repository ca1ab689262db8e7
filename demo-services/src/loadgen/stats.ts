// Client-side statistics per reporting window: throughput, error ratio and latency percentiles.
export class WindowStats {
  private latencies: number[] = [];
  private errors = 0;
  private expected4xx = 0;
  private started = Date.now();
  total = 0;
  totalErrors = 0;

  record(ms: number, outcome: 'ok' | 'expected_4xx' | 'error'): void {
    this.latencies.push(ms);
    this.total++;
    if (outcome === 'error') {
      this.errors++;
      this.totalErrors++;
    }
    if (outcome === 'expected_4xx') this.expected4xx++;
  }

  /** Summarises the window and starts a new one. */
  flush(): {
    rps: number;
    errorPct: number;
    expected4xxPct: number;
    p50: number;
    p99: number;
    count: number;
  } {
    const seconds = Math.max(0.001, (Date.now() - this.started) / 1000);
    const sorted = this.latencies.sort((a, b) => a - b);
    const at = (q: number) =>
      sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]! : 0;
    const count = sorted.length;
    const result = {
      rps: count / seconds,
      errorPct: count ? (100 * this.errors) / count : 0,
      expected4xxPct: count ? (100 * this.expected4xx) / count : 0,
      p50: at(0.5),
      p99: at(0.99),
      count,
    };
    this.latencies = [];
    this.errors = 0;
    this.expected4xx = 0;
    this.started = Date.now();
    return result;
  }
}
