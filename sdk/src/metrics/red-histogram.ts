import { Histogram, type LabelValues } from 'prom-client';

/** The per-series record prom-client's Histogram keeps (lib/histogram.js, createBaseValues). */
interface Series {
  labels: Record<string, string | number>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
  bucketExemplars?: Record<number, { labelSet: object; value: number; timestamp?: number } | null>;
}
interface Internals {
  hashMap: Record<string, Series>;
  upperBounds: readonly number[];
  enableExemplars: boolean;
}

const NO_EXEMPLAR = Object.freeze({});

/**
 * prom-client's Histogram with a cheaper way to record a request: the caller names the series
 * with a key it builds anyway (method, route and status joined), and a series seen before is
 * updated in place: no label validation, no sorted-label hashing (twice, with an exemplar), no
 * closure. Everything else, serving included, is prom-client's own. Should prom-client's
 * internals ever differ from what this expects, it records through the standard observe().
 */
export class RedHistogram<L extends string> extends Histogram<L> {
  private readonly series = new Map<string, Series>();

  record(
    key: string,
    labels: LabelValues<L>,
    value: number,
    exemplar: Record<string, string> | undefined,
  ): void {
    const { hashMap, upperBounds, enableExemplars } = this as unknown as Internals;
    const cacheable = Array.isArray(upperBounds) && typeof hashMap === 'object';
    let s = this.series.get(key);
    if (s === undefined || !cacheable) {
      if (enableExemplars) this.observe({ labels, value, exemplarLabels: exemplar ?? NO_EXEMPLAR });
      else this.observe(labels, value);
      if (!cacheable) return;
      s = Object.values(hashMap).find((v) => sameLabels(v.labels, labels));
      if (s !== undefined) this.series.set(key, s);
      return;
    }
    s.sum += value;
    s.count += 1;
    let bound = -1;
    const bounds: readonly number[] = upperBounds;
    for (let i = 0; i < bounds.length; i++) {
      const b = bounds[i] as number;
      if (value <= b) {
        bound = b;
        break;
      }
    }
    if (bound !== -1) s.bucketValues[bound] = (s.bucketValues[bound] ?? 0) + 1;
    if (exemplar === undefined || !enableExemplars) return;
    const ex = s.bucketExemplars?.[bound];
    if (ex) {
      ex.labelSet = exemplar;
      ex.value = value;
      ex.timestamp = Date.now() / 1000;
    } else if (typeof this.updateExemplar === 'function') {
      // The bucket's first exemplar: prom-client creates it.
      this.updateExemplar(labels, value, exemplar);
    }
  }

  // Series the cache points at are dropped by these; forget them too.
  override reset(): void {
    // Also called by prom-client's constructor, before this class's fields exist.
    (this.series as Map<string, Series> | undefined)?.clear();
    super.reset();
  }

  override remove(...args: string[]): void;
  override remove(labels: LabelValues<L>): void;
  override remove(...args: unknown[]): void {
    this.series.clear();
    (super.remove as (...a: unknown[]) => void)(...args);
  }
}

function sameLabels(a: Record<string, string | number>, b: Record<string, unknown>): boolean {
  const keys = Object.keys(b);
  if (Object.keys(a).length !== keys.length) return false;
  for (const k of keys) if (String(a[k]) !== String(b[k])) return false;
  return true;
}

declare module 'prom-client' {
  interface Histogram<T extends string> {
    /** Present in prom-client 15 (lib/histogram.js); not in its type declarations. */
    updateExemplar(labels: LabelValues<T>, value: number, exemplarLabels: object): void;
  }
}
