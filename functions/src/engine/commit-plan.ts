/**
 * The pure half of the commit protocol: given the partition head as read and the appends placed
 * in a segment object, decide each append's fate and the next head. No I/O, no clock: the caller
 * passes `nowMs`. The I/O half (committer.ts) writes the result with one conditional put.
 */
import { FloeError } from "../../../client/src/errors.js";
import { PRODUCER_BATCHES_KEPT } from "../../../client/src/idempotence.js";
import type { AppendOutcome, PartitionAppend, ProducerStamp } from "./append-types.js";
import type { IndexEntry, PartitionHead, ProducerBatchMeta, ProducerState } from "./model.js";

/** Shared with the producer's in-flight window (client/src/idempotence.ts), so they cannot drift. */
export { PRODUCER_BATCHES_KEPT };

export interface ProducerLimits {
  /** Producers remembered per partition; least recently used beyond this are forgotten. */
  maxProducersPerPartition: number;
  /** A producer idle longer than this is forgotten (Kafka: producer.id.expiration.ms, 1 day). */
  producerStateTtlMs: number;
}

export const DEFAULT_PRODUCER_LIMITS: ProducerLimits = {
  // The head is rewritten by every commit and DynamoDB bills each KiB written: 64 producers of
  // ~150 bytes each keep the worst-case head near 10 KiB; the usual head is well under 1 KiB.
  maxProducersPerPartition: 64,
  producerStateTtlMs: 24 * 60 * 60 * 1000,
};

export interface PlacedAppend {
  append: PartitionAppend;
  /** Byte range of this append's payload inside the segment object. */
  pos: number;
  len: number;
}

export interface CommitPlan {
  outcomes: AppendOutcome[];
  /** Entries created by this commit (one per run of adjacent accepted appends); empty = no write. */
  entries: IndexEntry[];
  /** The head to write (version = read version + 1), or undefined when nothing is appended. */
  nextHead: PartitionHead | undefined;
}

type ProducerVerdict =
  | { kind: "accept" }
  | { kind: "duplicate"; batch: ProducerBatchMeta }
  | { kind: "reject"; error: FloeError };

/** Kafka's idempotence rules, evaluated against the producer's remembered state. */
export function checkProducer(
  state: ProducerState | undefined,
  stamp: ProducerStamp,
  recordCount: number,
): ProducerVerdict {
  const lastSequence = stamp.firstSequence + recordCount - 1;
  if (!state) {
    if (stamp.firstSequence !== 0) {
      return reject(
        "out_of_order_sequence",
        `unknown producer ${stamp.id}: its first sequence must be 0, got ${stamp.firstSequence}`,
        {
          expected_sequence: 0,
        },
      );
    }
    return { kind: "accept" };
  }
  if (stamp.epoch < state.epoch) {
    return reject(
      "producer_fenced",
      `producer ${stamp.id} epoch ${stamp.epoch} is fenced by epoch ${state.epoch}`,
      {
        current_epoch: state.epoch,
      },
    );
  }
  if (stamp.epoch > state.epoch) {
    if (stamp.firstSequence !== 0) {
      return reject(
        "out_of_order_sequence",
        `a new epoch must start at sequence 0, got ${stamp.firstSequence}`,
        {
          expected_sequence: 0,
        },
      );
    }
    return { kind: "accept" };
  }
  const same = state.batches.find(
    (b) => b.firstSequence === stamp.firstSequence && b.lastSequence === lastSequence,
  );
  if (same) return { kind: "duplicate", batch: same };
  const expected = (state.batches.at(-1)?.lastSequence ?? -1) + 1;
  if (stamp.firstSequence === expected) return { kind: "accept" };
  const why =
    stamp.firstSequence < expected
      ? `sequence ${stamp.firstSequence} was already written and is older than the last ${PRODUCER_BATCHES_KEPT} batches`
      : `sequence gap: expected ${expected}, got ${stamp.firstSequence}`;
  return reject("out_of_order_sequence", `producer ${stamp.id}: ${why}`, { expected_sequence: expected });
}

function reject(
  code: "out_of_order_sequence" | "producer_fenced",
  message: string,
  details: Record<string, number>,
): ProducerVerdict {
  return { kind: "reject", error: new FloeError(code, message, details) };
}

/** Evaluates appends in order against an evolving copy of the head. */
export function planCommit(
  head: PartitionHead,
  placed: PlacedAppend[],
  segmentKey: string,
  nowMs: number,
  limits: ProducerLimits = DEFAULT_PRODUCER_LIMITS,
): CommitPlan {
  const producers: Record<string, ProducerState> = structuredClone(head.producers);
  let nextOffset = head.nextOffset;
  let lastTimestamp = head.lastTimestamp;
  let appendedBytes = head.appendedBytes;
  const outcomes: AppendOutcome[] = [];
  const entries: IndexEntry[] = [];
  let run: IndexEntry | undefined;

  for (const { append, pos, len } of placed) {
    let verdict: ProducerVerdict = { kind: "accept" };
    if (append.matchOffset !== undefined && append.matchOffset !== nextOffset) {
      verdict = {
        kind: "reject",
        error: new FloeError(
          "offset_mismatch",
          `the partition's next offset is ${nextOffset}, not ${append.matchOffset}`,
          {
            expected_offset: nextOffset,
          },
        ),
      };
    } else if (append.producer) {
      verdict = checkProducer(producers[append.producer.id], append.producer, append.recordCount);
    }
    if (verdict.kind === "reject") {
      outcomes.push({ ok: false, error: verdict.error });
      run = undefined;
      continue;
    }
    if (verdict.kind === "duplicate") {
      outcomes.push({
        ok: true,
        baseOffset: verdict.batch.baseOffset,
        lastOffset: verdict.batch.lastOffset,
        duplicate: true,
      });
      run = undefined;
      continue;
    }
    const baseOffset = nextOffset;
    const lastOffset = baseOffset + append.recordCount - 1;
    nextOffset = lastOffset + 1;
    lastTimestamp = Math.max(lastTimestamp, append.maxTimestamp);
    appendedBytes += len;
    if (append.producer)
      rememberBatch(producers, append.producer, append.recordCount, baseOffset, lastOffset, nowMs);
    outcomes.push({ ok: true, baseOffset, lastOffset, duplicate: false });
    if (run && run.pos + run.len === pos) {
      run.len += len;
      run.lastOffset = lastOffset;
      run.recordCount += append.recordCount;
      run.batchCount += append.batchCount;
      run.firstTimestamp = Math.min(run.firstTimestamp, append.firstTimestamp);
      run.maxTimestamp = Math.max(run.maxTimestamp, append.maxTimestamp);
      run.maxTimestampSoFar = lastTimestamp;
    } else {
      run = {
        baseOffset,
        lastOffset,
        recordCount: append.recordCount,
        segmentKey,
        pos,
        len,
        batchCount: append.batchCount,
        firstTimestamp: append.firstTimestamp,
        maxTimestamp: append.maxTimestamp,
        // The time index (time-index.ts): the partition's running max, already updated above.
        maxTimestampSoFar: lastTimestamp,
        relativeOffsets: false,
      };
      entries.push(run);
    }
  }

  if (entries.length === 0) return { outcomes, entries, nextHead: undefined };
  evictProducers(producers, nowMs, limits);
  return {
    outcomes,
    entries,
    nextHead: {
      ...head,
      nextOffset,
      lastTimestamp,
      appendedBytes,
      pending: entries,
      producers,
      version: head.version + 1,
    },
  };
}

function rememberBatch(
  producers: Record<string, ProducerState>,
  stamp: ProducerStamp,
  recordCount: number,
  baseOffset: number,
  lastOffset: number,
  nowMs: number,
): void {
  const prior = producers[stamp.id];
  const batches = prior && prior.epoch === stamp.epoch ? prior.batches : [];
  batches.push({
    firstSequence: stamp.firstSequence,
    lastSequence: stamp.firstSequence + recordCount - 1,
    baseOffset,
    lastOffset,
    timestamp: nowMs,
  });
  while (batches.length > PRODUCER_BATCHES_KEPT) batches.shift();
  producers[stamp.id] = { epoch: stamp.epoch, batches, updatedAt: nowMs };
}

function evictProducers(
  producers: Record<string, ProducerState>,
  nowMs: number,
  limits: ProducerLimits,
): void {
  const ids = Object.keys(producers);
  for (const id of ids) {
    if (nowMs - producers[id]!.updatedAt > limits.producerStateTtlMs) delete producers[id];
  }
  const live = Object.entries(producers).sort((a, b) => a[1].updatedAt - b[1].updatedAt);
  for (let i = 0; i < live.length - limits.maxProducersPerPartition; i++) delete producers[live[i]![0]];
}
