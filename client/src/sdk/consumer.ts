/**
 * The consumer: `for await (const record of consumer)` over one or more topics, standalone (all
 * or chosen partitions) or as a member of a group.
 *
 * Processing guarantee (at least once, as Kafka's): a record counts as processed when the caller
 * asks for the next one (or closes); commits carry the offset after the last processed record.
 * A partition is given up only between records — while the caller holds a record, a revocation
 * waits (the heartbeat still runs), so the caller never processes a partition it no longer owns:
 * its records are dropped, its progress committed, and only then is it reported released.
 */
import { FloeError } from "../errors.js";
import type { Admin } from "./admin.js";
import { type BackoffOptions, backoffMs, sleep } from "./backoff.js";
import { type FetchStart, fetchPartition } from "./fetcher.js";
import { GroupMember, type TopicPartition } from "./group-member.js";
import { type ConsumeTransport, PartitionStream } from "./partition-stream.js";
import type { ConsumerRecord } from "./records.js";
import { streamPartition } from "./sse.js";
import type { Transport } from "./transport.js";

export type { TopicPartition } from "./group-member.js";

/** Where reading starts (in a group: only where the group has no committed offset). */
export type StartFrom = "earliest" | "latest" | { offset: number } | { timestamp: number } | { tail: number };

export interface ConsumerOptions {
  topics: string | string[];
  /** Join this consumer group; partitions are then assigned by the server. */
  group?: string | undefined;
  /** Standalone only: read just these partitions (of every topic). Default: all. */
  partitions?: number[] | undefined;
  /** Default "latest", as Kafka's auto.offset.reset. */
  from?: StartFrom | undefined;
  /** "binary" (default), "json", or "sse" (Server-Sent Events while following). */
  transport?: ConsumeTransport | undefined;
  /** Keep waiting for new records (default). false: stop at the high watermark seen at start. */
  follow?: boolean | undefined;
  /** Long-poll duration at the end of the log. Default 10 s (≤ 20 on Lambda, ≤ 60 on containers). */
  waitSeconds?: number | undefined;
  maxBytes?: number | undefined;
  maxRecords?: number | undefined;
  /** Group: commit processed offsets every `autoCommitIntervalMs` and on revocation. Default true. */
  autoCommit?: boolean | undefined;
  autoCommitIntervalMs?: number | undefined;
  sessionTimeoutMs?: number | undefined;
  heartbeatIntervalMs?: number | undefined;
  retryBackoff?: BackoffOptions | undefined;
  /** Called after partitions are added to this consumer. */
  onAssigned?: ((partitions: TopicPartition[]) => void) | undefined;
  /** Called after partitions are taken away (their progress committed). */
  onRevoked?: ((partitions: TopicPartition[]) => void) | undefined;
}

interface Chunk {
  stream: PartitionStream;
  records: ConsumerRecord[];
  index: number;
}

const keyOf = (topic: string, partition: number) => `${topic}:${partition}`;

function startOf(from: StartFrom): FetchStart {
  if (from === "earliest") return { tailOffset: Number.MAX_SAFE_INTEGER };
  if (from === "latest") return { tailOffset: 0 };
  if ("tail" in from) return { tailOffset: from.tail };
  return from;
}

export class Consumer implements AsyncIterable<ConsumerRecord> {
  private readonly topics: string[];
  private readonly follow: boolean;
  private readonly streams = new Map<string, PartitionStream>();
  /** What a group member reports as owned: assigned, and not yet fully released. */
  private readonly owned = new Map<string, TopicPartition>();
  private readonly ready: Chunk[] = [];
  /** Next offset to commit per partition: one past the last processed record. */
  private readonly processed = new Map<string, number>();
  /** Paused partitions, remembered even before their streams exist (pause() before the first next()). */
  private readonly pausedKeys = new Set<string>();
  private readonly committed = new Map<string, number>();
  private holding: ConsumerRecord | undefined;
  /** The stream `holding` came from: its progress counts only while that stream still reads the partition. */
  private holdingStream: PartitionStream | undefined;
  private pendingAssignment: TopicPartition[] | undefined;
  private failure: { error: unknown } | undefined;
  private closed = false;
  private closing: Promise<void> | undefined;
  private started: Promise<void> | undefined;
  /** `started` has resolved. */
  private running = false;
  private notify: (() => void) | undefined;
  private readonly member: GroupMember | undefined;
  private heartbeatWake = new AbortController();
  /** Aborted on close: cuts short the heartbeat loop's backoff, whose timer would keep the process alive. */
  private readonly stopping = new AbortController();
  private autoCommitTimer: ReturnType<typeof setInterval> | undefined;
  /** Serialises assignment changes (heartbeat loop vs. the iterator applying a deferred one). */
  private assignmentChain: Promise<void> = Promise.resolve();
  /**
   * Serialises commits (auto-commit timer, revocation, close, the caller): the server keeps the
   * last commit it applies, so two in flight at once could land out of order and move the
   * committed offset backwards.
   */
  private commitChain: Promise<void> = Promise.resolve();

  constructor(
    private readonly transport: Transport,
    private readonly admin: Pick<Admin, "describeTopic">,
    private readonly options: ConsumerOptions,
  ) {
    this.topics = typeof options.topics === "string" ? [options.topics] : [...options.topics];
    if (this.topics.length === 0) throw new TypeError("a consumer needs at least one topic");
    this.follow = options.follow ?? true;
    this.member =
      options.group === undefined
        ? undefined
        : new GroupMember(transport, options.group, this.topics, options.sessionTimeoutMs ?? 30_000);
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumerRecord> {
    return {
      next: () => this.next(),
      // `break` out of a for-await loop: commit and leave.
      return: async () => {
        await this.close();
        return { done: true, value: undefined };
      },
    };
  }

  /**
   * The next record, waiting for one if needed; `done` once closed (or, when not following,
   * once every partition is read to its end).
   *
   * @example
   * const { value, done } = await consumer.next();
   */
  async next(): Promise<IteratorResult<ConsumerRecord, undefined>> {
    if (!this.running) {
      this.started ??= this.start();
      try {
        await this.started;
      } catch (error) {
        await this.close();
        throw error;
      }
      this.running = true;
    }
    this.releaseHeld();
    // Awaited only when there is something to apply: this is the per-record path.
    if (this.pendingAssignment) await this.applyPendingAssignment().catch(() => {});
    for (;;) {
      if (this.failure) {
        const { error } = this.failure;
        await this.close();
        throw error;
      }
      if (this.closed) return { done: true, value: undefined };
      const record = this.take();
      if (record) {
        this.holding = record;
        return { done: false, value: record };
      }
      if (!this.follow && this.allDone()) {
        await this.close();
        return { done: true, value: undefined };
      }
      await new Promise<void>((resolve) => {
        this.notify = resolve;
      });
      if (this.pendingAssignment) await this.applyPendingAssignment().catch(() => {});
    }
  }

  /**
   * Partitions this consumer reads now.
   *
   * @example
   * console.log(consumer.assignment()); // [{ topic: "orders", partition: 0 }, ...]
   */
  assignment(): TopicPartition[] {
    return [...this.streams.values()].map((s) => ({ topic: s.topic, partition: s.partition }));
  }

  /**
   * Stops handing out records of these partitions (their reads stop too) until `resume`.
   *
   * @example
   * consumer.pause([{ topic: "orders", partition: 0 }]);
   */
  pause(partitions: TopicPartition[]): void {
    for (const tp of partitions) {
      this.pausedKeys.add(keyOf(tp.topic, tp.partition));
      this.streams.get(keyOf(tp.topic, tp.partition))?.pause();
    }
  }

  /**
   * Resumes paused partitions.
   *
   * @example
   * consumer.resume([{ topic: "orders", partition: 0 }]);
   */
  resume(partitions: TopicPartition[]): void {
    for (const tp of partitions) {
      this.pausedKeys.delete(keyOf(tp.topic, tp.partition));
      this.streams.get(keyOf(tp.topic, tp.partition))?.resume();
    }
    this.wake();
  }

  /**
   * Continues a partition at `offset`: records already read but not handed out are dropped.
   *
   * @example
   * consumer.seek({ topic: "orders", partition: 0, offset: 1000 });
   */
  seek(target: TopicPartition & { offset: number }): void {
    if (!(Number.isSafeInteger(target.offset) && target.offset >= 0)) {
      throw new RangeError(`offset must be a non-negative integer, got ${target.offset}`);
    }
    const stream = this.streams.get(keyOf(target.topic, target.partition));
    if (!stream) throw new Error(`${target.topic}:${target.partition} is not assigned to this consumer`);
    this.dropChunks(stream);
    stream.seek(target.offset);
  }

  /**
   * Commits the processed offsets (group mode; a no-op standalone). Auto-commit calls this.
   *
   * @example
   * for await (const r of consumer) { await handle(r); if (r.offset % 1000 === 0) await consumer.commit(); }
   */
  commit(): Promise<void> {
    const committing = this.commitChain.then(() => this.commitProcessed());
    this.commitChain = committing.catch(() => {});
    return committing;
  }

  private async commitProcessed(): Promise<void> {
    if (!this.member || this.member.memberId === undefined) return;
    const offsets = [];
    for (const [key, offset] of this.processed) {
      const tp = this.owned.get(key);
      if (tp && this.committed.get(key) !== offset) offsets.push({ ...tp, offset });
    }
    if (offsets.length === 0) return;
    await this.member.commit(offsets);
    for (const o of offsets) this.committed.set(keyOf(o.topic, o.partition), o.offset);
  }

  /**
   * Commits what was processed, leaves the group and stops reading. Safe to call twice.
   *
   * @example
   * process.on("SIGTERM", () => consumer.close());
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  private async start(): Promise<void> {
    if (!this.member) {
      const all: TopicPartition[] = [];
      for (const topic of this.topics) {
        const { partitionCount } = await this.admin.describeTopic(topic);
        for (let p = 0; p < partitionCount; p++) {
          if (!this.options.partitions || this.options.partitions.includes(p))
            all.push({ topic, partition: p });
        }
      }
      for (const tp of all) this.addStream(tp, startOf(this.options.from ?? "latest"));
      this.options.onAssigned?.(all);
      return;
    }
    const reply = await this.member.join();
    await this.changeAssignment(reply.assignment);
    void this.heartbeatLoop(reply.heartbeatIntervalMs);
    if (this.options.autoCommit !== false) {
      this.autoCommitTimer = setInterval(() => {
        this.commit().catch(() => this.heartbeatWake.abort());
      }, this.options.autoCommitIntervalMs ?? 5_000);
    }
  }

  private async shutdown(): Promise<void> {
    if (this.holding) this.releaseHeld();
    this.closed = true;
    this.stopping.abort();
    clearInterval(this.autoCommitTimer);
    this.heartbeatWake.abort();
    for (const s of this.streams.values()) s.stop();
    this.wake();
    if (this.member && this.started) {
      await this.started.catch(() => {});
      await this.assignmentChain;
      await this.commit().catch(() => {});
      await this.member.leave().catch(() => {});
    }
    this.streams.clear();
    this.ready.length = 0;
  }

  // ---- records -------------------------------------------------------------------------------

  /** The next record to hand out (its stream becomes `holdingStream`). */
  private take(): ConsumerRecord | undefined {
    for (let i = 0; i < this.ready.length; i++) {
      const chunk = this.ready[i]!;
      if (chunk.stream.stopped) {
        this.ready.splice(i--, 1);
        continue;
      }
      if (chunk.stream.paused) continue;
      const record = chunk.records[chunk.index++]!;
      this.holdingStream = chunk.stream;
      if (chunk.index >= chunk.records.length) {
        this.ready.splice(i, 1);
        chunk.stream.chunkConsumed();
      }
      return record;
    }
    return undefined;
  }

  private releaseHeld(): void {
    const held = this.holding;
    const stream = this.holdingStream;
    this.holding = undefined;
    this.holdingStream = undefined;
    // Not if the partition was lost meanwhile, even if it came back: the stream reading it now
    // may have started past this record (another member committed further), and this record's
    // offset would move the commit backwards.
    if (held && stream && this.streams.get(keyOf(held.topic, held.partition)) === stream) {
      this.processed.set(keyOf(held.topic, held.partition), held.offset + 1);
    }
  }

  private allDone(): boolean {
    for (const s of this.streams.values()) if (!s.done) return false;
    return this.ready.length === 0;
  }

  private wake(): void {
    const notify = this.notify;
    this.notify = undefined;
    notify?.();
  }

  private dropChunks(stream: PartitionStream): void {
    for (let i = this.ready.length - 1; i >= 0; i--)
      if (this.ready[i]!.stream === stream) this.ready.splice(i, 1);
  }

  private addStream(tp: TopicPartition, start: FetchStart): void {
    const key = keyOf(tp.topic, tp.partition);
    const o = this.options;
    const stream = new PartitionStream({
      topic: tp.topic,
      partition: tp.partition,
      start,
      transport: o.transport ?? "binary",
      follow: this.follow,
      waitSeconds: o.waitSeconds ?? 10,
      maxBytes: o.maxBytes,
      maxRecords: o.maxRecords,
      backoff: o.retryBackoff,
      fetch: (request) => fetchPartition(this.transport, request),
      stream: (request) => streamPartition(this.transport, request),
      deliver: (s, records) => {
        if (this.streams.get(key) !== s) return;
        this.ready.push({ stream: s, records, index: 0 });
        this.wake();
      },
      fail: (_s, error) => {
        this.failure ??= { error };
        this.wake();
      },
      changed: () => this.wake(),
    });
    this.streams.set(key, stream);
    this.owned.set(key, tp);
    if (this.pausedKeys.has(key)) stream.pause();
    stream.start();
  }

  // ---- group membership ----------------------------------------------------------------------

  private async heartbeatLoop(advisedMs: number | undefined): Promise<void> {
    const member = this.member!;
    const intervalMs = this.options.heartbeatIntervalMs ?? advisedMs ?? 3_000;
    const sessionMs = this.options.sessionTimeoutMs ?? 30_000;
    let lastSuccess = Date.now();
    let attempt = 0;
    while (!this.closed) {
      if (!this.heartbeatWake.signal.aborted) await sleep(intervalMs, this.heartbeatWake.signal);
      this.heartbeatWake = new AbortController();
      if (this.closed) return;
      try {
        if (member.memberId === undefined) {
          const reply = await member.join();
          await this.changeAssignment(reply.assignment);
        } else {
          const reply = await member.heartbeat(this.owned.values());
          await this.changeAssignment(reply.assignment);
        }
        lastSuccess = Date.now();
        attempt = 0;
      } catch (error) {
        if (this.closed) return;
        if (member.memberId === undefined) {
          if (error instanceof FloeError && !error.retriable) {
            this.failure ??= { error };
            this.wake();
            return;
          }
          // Rejoining failed for a passing reason: keep trying, paced.
          attempt++;
          await sleep(backoffMs(attempt, error, this.options.retryBackoff), this.stopping.signal);
          this.heartbeatWake.abort();
          continue;
        }
        const expelled =
          error instanceof FloeError &&
          (error.code === "member_not_found" || error.code === "stale_generation");
        if (expelled || Date.now() - lastSuccess > sessionMs) {
          // Our partitions may already be someone else's: stop at once, commit nothing, rejoin.
          this.loseEverything();
          member.memberId = undefined;
          this.heartbeatWake.abort();
        } else if (!(error instanceof FloeError) || error.retriable) {
          attempt++;
          await sleep(backoffMs(attempt, error, this.options.retryBackoff), this.stopping.signal);
        } else {
          this.failure ??= { error };
          this.wake();
          return;
        }
      }
    }
  }

  /** Applies an assignment now, or — if it takes partitions away while the caller holds a record — later. */
  private changeAssignment(assignment: TopicPartition[]): Promise<void> {
    const target = new Set(assignment.map((tp) => keyOf(tp.topic, tp.partition)));
    const revokes = [...this.owned.keys()].some((k) => !target.has(k));
    if (revokes && this.holding) {
      this.pendingAssignment = assignment;
      return Promise.resolve();
    }
    this.pendingAssignment = undefined;
    // A failed change (say, committed offsets unreadable) is retried by the next heartbeat, which
    // brings the same assignment: the chain itself must survive it.
    const applied = this.assignmentChain.then(() => this.applyAssignment(assignment));
    this.assignmentChain = applied.catch(() => {});
    return applied;
  }

  private applyPendingAssignment(): Promise<void> {
    const pending = this.pendingAssignment;
    if (!pending) return this.assignmentChain;
    return this.changeAssignment(pending);
  }

  private async applyAssignment(assignment: TopicPartition[]): Promise<void> {
    if (this.closed) return;
    const target = new Map(assignment.map((tp) => [keyOf(tp.topic, tp.partition), tp]));
    const revoked: TopicPartition[] = [];
    for (const [key, tp] of this.owned) {
      if (target.has(key)) continue;
      // Synchronously first: no record of a revoked partition may be handed out from here on.
      const stream = this.streams.get(key);
      if (stream) {
        stream.stop();
        this.dropChunks(stream);
        this.streams.delete(key);
      }
      revoked.push(tp);
    }
    if (revoked.length > 0) {
      if (this.options.autoCommit !== false) await this.commit().catch(() => {});
      for (const tp of revoked) {
        const key = keyOf(tp.topic, tp.partition);
        this.owned.delete(key);
        this.processed.delete(key);
        this.committed.delete(key);
      }
      this.options.onRevoked?.(revoked);
      // Tell the server now, so the next owner need not wait a heartbeat interval.
      this.heartbeatWake.abort();
    }
    const added = [...target].filter(([key]) => !this.owned.has(key)).map(([, tp]) => tp);
    if (added.length === 0) return;
    const fallback = startOf(this.options.from ?? "latest");
    const committed = new Map<string, Map<number, number>>();
    for (const topic of new Set(added.map((tp) => tp.topic))) {
      committed.set(topic, await this.member!.committed(topic));
    }
    if (this.closed) return;
    for (const tp of added) {
      const offset = committed.get(tp.topic)?.get(tp.partition);
      this.addStream(tp, offset === undefined ? fallback : { offset });
      if (offset !== undefined) this.committed.set(keyOf(tp.topic, tp.partition), offset);
    }
    this.options.onAssigned?.(added);
    this.wake();
  }

  private loseEverything(): void {
    const lost = [...this.owned.values()];
    for (const s of this.streams.values()) s.stop();
    this.streams.clear();
    this.ready.length = 0;
    this.owned.clear();
    this.processed.clear();
    this.committed.clear();
    this.pendingAssignment = undefined;
    if (lost.length > 0) this.options.onRevoked?.(lost);
    this.wake();
  }
}
