/**
 * The container agent's cross-request batcher: appends from every request, for any topic or
 * partition, wait at most `lingerMs` (or until `segmentBytesMax` is reached) and then go out
 * together as ONE segment object. Each request's appends stay together in one flush, so a
 * request's share of a partition is still committed atomically.
 *
 * Group commit: when no flush is running and the buffer already holds `flushBytesMin`, it goes
 * at once instead of waiting out the linger — an idle pipeline gains nothing by waiting for a
 * batch that is already worth a PUT. Under load, batches then grow while the previous flush runs,
 * and the PUT rate stays bounded by one eager flush at a time (each at least `flushBytesMin`);
 * a trickle still waits `lingerMs`, which is what bounds the PUTs of a quiet agent.
 *
 * Memory is bounded: bytes accepted but not yet acknowledged never exceed `inflightBytesMax`;
 * past it the agent answers 429 `throttled` with Retry-After instead of buffering without end.
 */
import { FloeError } from "../../../client/src/errors.js";
import type { Appender, AppendOutcome, PartitionAppend } from "../engine/append-types.js";

export interface BatcherOptions {
  /** Writes one flush (FloeLog.append). */
  flush: (appends: PartitionAppend[]) => Promise<AppendOutcome[]>;
  lingerMs: number;
  segmentBytesMax: number;
  /** A batch this large is flushed at once when no flush is running (group commit). */
  flushBytesMin: number;
  inflightBytesMax: number;
  /** Flushes allowed in flight at once (uploads overlap; commits stay ordered per partition). */
  maxConcurrentFlushes: number;
}

interface Pending {
  appends: PartitionAppend[];
  bytes: number;
  resolve: (outcomes: AppendOutcome[]) => void;
  reject: (error: unknown) => void;
}

export interface BatcherStats {
  flushes: number;
  appends: number;
  throttled: number;
}

export class Batcher implements Appender {
  private buffer: Pending[] = [];
  private bufferBytes = 0;
  private inflightBytes = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = 0;
  private readonly queued: { items: Pending[]; bytes: number }[] = [];
  private closed = false;
  private readonly idleWaiters: (() => void)[] = [];
  readonly stats: BatcherStats = { flushes: 0, appends: 0, throttled: 0 };

  constructor(private readonly options: BatcherOptions) {}

  get inflight(): number {
    return this.inflightBytes;
  }

  /** Appends accepted since start and the bytes accepted but not yet answered (GET /healthz). */
  get held(): { acceptedAppends: number; unacknowledgedBytes: number } {
    return { acceptedAppends: this.stats.appends, unacknowledgedBytes: this.inflightBytes };
  }

  append(appends: PartitionAppend[]): Promise<AppendOutcome[]> {
    if (this.closed)
      return Promise.reject(
        new FloeError("unavailable", "the agent is shutting down; send to another agent", {}, 1),
      );
    const bytes = appends.reduce((n, a) => n + a.payload.byteLength, 0);
    if (this.inflightBytes + bytes > this.options.inflightBytesMax) {
      this.stats.throttled++;
      return Promise.reject(
        new FloeError(
          "throttled",
          `the agent holds ${this.inflightBytes} unacknowledged bytes (limit ${this.options.inflightBytesMax}); retry shortly`,
          { limit_bytes: this.options.inflightBytesMax },
          1,
        ),
      );
    }
    this.inflightBytes += bytes;
    this.stats.appends += appends.length;
    return new Promise<AppendOutcome[]>((resolve, reject) => {
      const pending: Pending = { appends, bytes, resolve, reject };
      // While every flush slot is busy, cut batches wait in `queued`: let newcomers join the last
      // one while it has room, so batches grow under load instead of multiplying. Not past an
      // earlier request still in the buffer: that would flush the later one first.
      const waiting = this.buffer.length === 0 ? this.queued.at(-1) : undefined;
      if (waiting && waiting.bytes + bytes <= this.options.segmentBytesMax) {
        waiting.items.push(pending);
        waiting.bytes += bytes;
        return;
      }
      this.buffer.push(pending);
      this.bufferBytes += bytes;
      if (
        this.bufferBytes >= this.options.segmentBytesMax ||
        this.options.lingerMs === 0 ||
        this.worthFlushingNow()
      ) {
        this.cut();
      } else this.timer ??= setTimeout(() => this.cut(), this.options.lingerMs);
    });
  }

  /** Stops accepting, flushes what was accepted, and resolves once every accepted append is answered. */
  async close(): Promise<void> {
    this.closed = true;
    this.cut();
    if (this.running === 0 && this.queued.length === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private worthFlushingNow(): boolean {
    // One eager flush at a time: measured here, letting every free slot flush eagerly made
    // segments smaller and commits more numerous, and throughput fell (bench/agent.ts).
    return this.running === 0 && this.queued.length === 0 && this.bufferBytes >= this.options.flushBytesMin;
  }

  /** Closes the current batch and hands it to a flush slot. */
  private cut(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.buffer.length === 0) return;
    this.queued.push({ items: this.buffer, bytes: this.bufferBytes });
    this.buffer = [];
    this.bufferBytes = 0;
    this.drain();
  }

  private drain(): void {
    while (this.running < this.options.maxConcurrentFlushes && this.queued.length > 0) {
      const batch = this.queued.shift()!.items;
      this.running++;
      void this.runFlush(batch).finally(() => {
        this.running--;
        if (this.worthFlushingNow()) this.cut();
        this.drain();
        if (this.running === 0 && this.queued.length === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    }
  }

  private async runFlush(batch: Pending[]): Promise<void> {
    this.stats.flushes++;
    const all = batch.flatMap((p) => p.appends);
    try {
      const outcomes = await this.options.flush(all);
      let at = 0;
      for (const p of batch) {
        p.resolve(outcomes.slice(at, at + p.appends.length));
        at += p.appends.length;
      }
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      for (const p of batch) this.inflightBytes -= p.bytes;
    }
  }
}
