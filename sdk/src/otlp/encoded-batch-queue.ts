import { ProtobufWriter } from './protobuf-writer';

/** The batch processors' settings (OTEL_BSP_* for spans, OTEL_BLRP_* for log records). */
export interface BatchLimits {
  maxQueueSize: number;
  maxExportBatchSize: number;
  scheduledDelayMillis: number;
  exportTimeoutMillis: number;
}

/** Records encoded so far for one export, per group (instrumentation scope). */
export interface EncodedBatch<K, G> {
  key: K;
  count: number;
  groups: Map<G, ProtobufWriter>;
}

/**
 * The batch processor's contract, for records encoded as they are produced: a bounded queue
 * whose overflow is dropped and counted, batches of at most maxExportBatchSize, one export at a
 * time, a schedule delay and an export timeout. A record lives as protobuf bytes in its batch's
 * buffer, not as an object waiting for its batch to be serialised.
 *
 * `key` separates batches (a span's resource); `group` separates records inside a batch (its
 * instrumentation scope). `toRequest` turns a batch into a request body; `send` exports it and
 * calls back when done, whatever the outcome (failures are the sender's to report).
 */
export class EncodedBatchQueue<K, G> {
  private current: EncodedBatch<K, G> | undefined;
  private readonly sealed: EncodedBatch<K, G>[] = [];
  /** Records encoded and not yet handed to `send`. */
  private queued = 0;
  private exporting = false;
  private timer: NodeJS.Timeout | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly limits: BatchLimits,
    private readonly toRequest: (batch: EncodedBatch<K, G>) => Buffer,
    private readonly send: (request: Buffer, done: () => void) => void,
    private readonly dropped: () => void,
  ) {}

  /**
   * Writes one record (as field `tag` of its group's message) into the current batch. A full
   * queue drops it; a record that fails to encode is dropped alone, not with its batch.
   */
  add(key: K, group: G, tag: number, write: (w: ProtobufWriter) => void): void {
    if (this.queued >= this.limits.maxQueueSize) return this.dropped();
    let batch = this.current;
    if (batch !== undefined && batch.key !== key) {
      this.seal();
      batch = undefined;
    }
    batch ??= this.current = { key, count: 0, groups: new Map() };
    let w = batch.groups.get(group);
    if (w === undefined) {
      w = new ProtobufWriter(8 * 1024);
      batch.groups.set(group, w);
    }
    const start = w.pos;
    try {
      w.byte(tag);
      const at = w.begin();
      write(w);
      w.end(at);
    } catch {
      w.pos = start;
      return this.dropped();
    }
    batch.count++;
    this.queued++;
    if (batch.count >= this.limits.maxExportBatchSize) {
      this.seal();
      this.exportNext();
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.seal();
        this.exportNext();
      }, this.limits.scheduledDelayMillis).unref();
    }
  }

  private seal(): void {
    if (this.current !== undefined && this.current.count > 0) this.sealed.push(this.current);
    this.current = undefined;
  }

  /** Hands the oldest sealed batch to `send`, unless an export is in flight. */
  private exportNext(): void {
    if (this.exporting) return;
    const batch = this.sealed.shift();
    if (batch === undefined) return this.wakeIdleWaiters();
    this.queued -= batch.count;
    this.exporting = true;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      this.exporting = false;
      if (this.sealed.length > 0) this.exportNext();
      else this.wakeIdleWaiters();
    };
    const deadline = setTimeout(finish, this.limits.exportTimeoutMillis).unref();
    try {
      this.send(this.toRequest(batch), finish);
    } catch {
      finish();
    }
  }

  private wakeIdleWaiters(): void {
    if (this.exporting || this.sealed.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Exports everything queued, one batch after another; resolves when all have been sent. */
  flush(): Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.seal();
    if (!this.exporting && this.sealed.length === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      this.exportNext();
    });
  }
}
