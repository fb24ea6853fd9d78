/**
 * Sends one partition's batches: pipelined (up to `maxInFlight` requests at once, Kafka's
 * max.in.flight.requests.per.connection = 5) and, with idempotence, never duplicated and never
 * reordered.
 *
 * Idempotence is Kafka's: every batch carries (producerId, epoch, baseSequence); the partition
 * head remembers the last 5 batches per producer, acknowledges a retried one with its original
 * offsets, and refuses a gap with `out_of_order_sequence`. Concurrent HTTP requests can arrive
 * out of order, so a gap is often not an error at all but a batch that overtook its predecessor:
 *
 *   client                      server (next expected sequence)
 *   send b1 (seq 0..9)  ──┐
 *   send b2 (seq 10..19) ─┼──►  b2 arrives first: gap (expects 0)  → 409 out_of_order_sequence
 *                         └──►  b1 arrives: written                → 200
 *   resend b2 alone      ────►  written (expects 10)               → 200
 *
 * The window counts from the OLDEST unacknowledged batch, not from the last acknowledgement: the
 * head remembers only the last PRODUCER_BATCHES_KEPT (5) batches, so with b1 still unanswered
 * (its reply slow or lost) and b2..b5 acknowledged, sending b6 could push b1 out of the server's
 * memory, and b1's retry would be refused as too old although it is in the log:
 *
 *   in flight: b1 (reply pending)   acked: b2 b3 b4 b5   server remembers b1..b5
 *   send b6 → written               server remembers b2..b6
 *   b1's reply lost → resend b1 ──► "older than the last 5 batches" → reported failed, yet written
 *
 * So b(k+n) is sent only while n < PRODUCER_BATCHES_KEPT, k the oldest unacknowledged batch.
 *
 * Hence the two modes. Normal: send as fast as the window allows. Recovery (entered on any
 * failure): stop sending, let every in-flight request answer, then resend the unacknowledged
 * batches one at a time in sequence order, each with its original stamp, so the server sees them
 * in order and acknowledges any that were in fact written. A batch that fails for good breaks
 * the sequence, so the partition's epoch is bumped and the batches behind it restamped from 0 —
 * safe because they cannot have been written after a predecessor that was not (see `restamp`).
 */
import { FloeError } from "../errors.js";
import type { Compression, RecordInput } from "../format/index.js";
import { PRODUCER_BATCHES_KEPT } from "../idempotence.js";
import { backoffMs, outcomeUnknown, sleep } from "./backoff.js";
import type { AppendResult, ProducerStamp } from "./produce-request.js";

const MAX_SEQUENCE = 0x7fffffff;
const MAX_EPOCH = 0x7fff;

/**
 * A random positive int53 producer id: two producers sharing one would share idempotence state.
 *
 * @example
 * const producerId = randomProducerId(); // e.g. 5838201647291
 */
export function randomProducerId(): number {
  const words = crypto.getRandomValues(new Uint32Array(2));
  return (words[0]! & 0x1fffff) * 2 ** 32 + words[1]! + 1;
}

/** A closed batch waiting for its acknowledgement. */
export interface PendingBatch {
  records: RecordInput[];
  bytes: number;
  /** Give up (with the last error) once this time has passed: Kafka's delivery.timeout.ms. */
  deadlineMs: number;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
  // Set by the sender:
  stamp?: ProducerStamp;
  encoded?: Uint8Array | undefined;
  attempts: number;
  /** Some attempt ended without knowing whether it was written (timeout, 5xx, reset). */
  unknownOutcome: boolean;
  /** The error of the last attempt; undefined = ready to (re)send. */
  lastError?: unknown;
  /** The last attempt was sent with nothing older in flight (so a gap cannot be an overtaking). */
  lastAttemptAlone?: boolean;
  /** Already moved to a fresh epoch once after a gap. */
  restamped?: boolean;
  /** Position in stamp order (set with `stamp`): how far ahead of the oldest unacknowledged it is. */
  ordinal?: number;
}

export interface SenderOptions {
  topic: string;
  partition: number;
  /** Set for idempotent producers; the same id on every partition. */
  producerId: number | undefined;
  maxInFlight: number;
  compression: Compression;
  /** Performs one attempt. */
  send(batch: PendingBatch): Promise<AppendResult>;
  /** Called once per batch when it settles (frees buffer room). */
  settled(batch: PendingBatch): void;
  backoff?: { initialMs?: number; maxMs?: number };
  now?: () => number;
}

export class PartitionSender {
  private readonly queue: PendingBatch[] = [];
  /** Stamped, sent at least once, not settled: in sequence order. */
  private readonly unacked: PendingBatch[] = [];
  private inFlight = 0;
  private recovering = false;
  private producerId: number | undefined;
  private epoch = 0;
  private nextSequence = 0;
  /** Ordinal the next stamped batch gets; ordinals only grow, so unacked stays in ordinal order. */
  private nextOrdinal = 0;
  private readonly now: () => number;

  constructor(private readonly options: SenderOptions) {
    this.now = options.now ?? Date.now;
    this.producerId = options.producerId;
  }

  /** Batches queued or unacknowledged. */
  get pending(): number {
    return this.queue.length + this.unacked.length;
  }

  /** Queues a closed batch; it is sent as soon as the window allows. */
  enqueue(batch: PendingBatch): void {
    this.queue.push(batch);
    this.pump();
  }

  private get idempotent(): boolean {
    return this.producerId !== undefined;
  }

  /**
   * Whether the next batch may be sent without leaving the server's idempotence window: it would
   * be `nextOrdinal - oldest` batches ahead of the oldest unacknowledged one, and the server
   * remembers PRODUCER_BATCHES_KEPT batches counting that one. Without idempotence nothing is
   * retried after an unknown outcome, so only `maxInFlight` applies.
   */
  private withinWindow(): boolean {
    if (!this.idempotent) return true;
    const oldest = this.unacked[0]?.ordinal ?? this.nextOrdinal;
    return this.nextOrdinal - oldest < PRODUCER_BATCHES_KEPT;
  }

  private pump(): void {
    while (
      !this.recovering &&
      this.inFlight < this.options.maxInFlight &&
      this.queue.length > 0 &&
      this.withinWindow()
    ) {
      const next = this.queue[0]!;
      if (this.idempotent && this.nextSequence + next.records.length - 1 > MAX_SEQUENCE) {
        // Sequences would wrap: start a new epoch at 0, but only once nothing of the old epoch
        // is outstanding, or its retries would be fenced by the new one.
        if (this.unacked.length > 0) return;
        this.bumpEpoch();
      }
      this.queue.shift();
      this.stamp(next);
      this.unacked.push(next);
      this.launch(next);
    }
  }

  private stamp(batch: PendingBatch): void {
    batch.encoded = undefined;
    batch.ordinal = this.nextOrdinal++;
    if (this.producerId === undefined) return;
    batch.stamp = { producerId: this.producerId, epoch: this.epoch, baseSequence: this.nextSequence };
    this.nextSequence += batch.records.length;
  }

  private bumpEpoch(): void {
    if (this.epoch < MAX_EPOCH) this.epoch++;
    else {
      // Epochs only go up (a lower one is fenced): past the last one, become a new producer.
      this.producerId = randomProducerId();
      this.epoch = 0;
    }
    this.nextSequence = 0;
  }

  private launch(batch: PendingBatch): void {
    this.inFlight++;
    batch.attempts++;
    batch.lastAttemptAlone = this.unacked[0] === batch;
    this.options.send(batch).then(
      (result) => {
        this.inFlight--;
        this.succeed(batch, result);
        this.afterResponse();
      },
      (error: unknown) => {
        this.inFlight--;
        this.noteFailure(batch, error);
        this.recovering = true;
        this.afterResponse();
      },
    );
  }

  private afterResponse(): void {
    if (!this.recovering) this.pump();
    else if (this.inFlight === 0) void this.recover();
  }

  private succeed(batch: PendingBatch, result: AppendResult): void {
    const i = this.unacked.indexOf(batch);
    if (i >= 0) this.unacked.splice(i, 1);
    batch.resolve(result);
    this.options.settled(batch);
  }

  private fail(batch: PendingBatch, error: unknown): void {
    const i = this.unacked.indexOf(batch);
    if (i >= 0) this.unacked.splice(i, 1);
    batch.reject(error);
    this.options.settled(batch);
  }

  private noteFailure(batch: PendingBatch, error: unknown): void {
    batch.lastError = error;
    if (outcomeUnknown(error)) batch.unknownOutcome = true;
  }

  /** Whether another attempt could succeed without risking a duplicate. */
  private retriable(error: unknown): boolean {
    if (!(error instanceof FloeError) || !error.retriable) return false;
    return this.idempotent || error.sideEffectFree;
  }

  /** Resends the unacknowledged batches one by one, in order; runs with nothing in flight. */
  private async recover(): Promise<void> {
    while (this.unacked.length > 0) {
      const batch = this.unacked[0]!;
      const error = batch.lastError;
      if (error !== undefined) {
        if (this.isGap(error) && batch.lastAttemptAlone) {
          // A gap on the oldest unacknowledged batch, sent alone, is no overtaking: our state on
          // the server is gone (evicted after idling) or never matched. If this batch was
          // certainly never written, a fresh epoch starting at 0 is safe; once only.
          if (!this.idempotent || batch.unknownOutcome || batch.restamped) {
            this.giveUp(batch, error);
            continue;
          }
          this.bumpEpoch();
          for (const b of this.unacked) this.stamp(b);
          batch.restamped = true;
        } else if (!this.retriable(error) && !this.isGap(error)) {
          this.giveUp(batch, error);
          continue;
        }
        if (this.now() >= batch.deadlineMs) {
          this.giveUp(batch, error);
          continue;
        }
        if (this.retriable(error)) await sleep(backoffMs(batch.attempts, error, this.options.backoff));
      }
      batch.attempts++;
      batch.lastAttemptAlone = true;
      batch.lastError = undefined;
      this.inFlight++;
      try {
        const result = await this.options.send(batch);
        this.inFlight--;
        this.succeed(batch, result);
      } catch (e) {
        this.inFlight--;
        this.noteFailure(batch, e);
      }
    }
    this.recovering = false;
    this.pump();
  }

  private isGap(error: unknown): boolean {
    return this.idempotent && error instanceof FloeError && error.code === "out_of_order_sequence";
  }

  /**
   * Fails `batch` for good, then restamps the batches behind it under a new epoch. A batch behind
   * may only be restamped if it cannot have been written: true when `batch` was certainly not
   * written (the server accepts a sequence only after its predecessor), or when that batch itself
   * never had an unknown outcome. The rest fail too, rather than risk a duplicate.
   */
  private giveUp(batch: PendingBatch, error: unknown): void {
    const doubtful = batch.unknownOutcome;
    const reason = error ?? new FloeError("unavailable", "delivery timed out");
    this.fail(batch, reason);
    if (!this.idempotent) return;
    const behind = [...this.unacked];
    this.bumpEpoch();
    for (const b of behind) {
      // Never reject with undefined (an earlier give-up may have cleared lastError): callers
      // such as `floe produce` decide their exit code from the error.
      if (doubtful && b.unknownOutcome) this.fail(b, b.lastError ?? reason);
      else {
        this.stamp(b);
        b.lastError = undefined;
      }
    }
  }
}
