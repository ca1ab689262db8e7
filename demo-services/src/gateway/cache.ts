// A small in-memory TTL cache for upstream responses (per gateway instance; bounded in size).
import type { UpstreamResponse } from '../platform/resilience/client.js';

export class ResponseCache {
  private readonly entries = new Map<string, { value: UpstreamResponse; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 500,
  ) {}

  get(key: string): UpstreamResponse | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires < Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: UpstreamResponse): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= this.maxEntries)
      this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(key, { value, expires: Date.now() + this.ttlMs });
  }
}
