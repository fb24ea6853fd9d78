/**
 * The pure half of the commit protocol: given the partition head as read and the appends placed
 * in a segment object, decide each append's fate and the next head. No I/O, no clock: the caller
 * passes `nowMs`. The I/O half (committer.ts) writes the result with one conditional put.
 */
import { FloeError } from "../../../client/src/errors.js";
import { PRODUCER_BATCHES_KEPT } from "../../../client/src/idempotence.js";
import {
  type AppendOutcome,
  isValidProducerId,
  type PartitionAppend,
  PRODUCER_ID_RULE,
  type ProducerStamp,
} from "./append-types.js";
import { mapMemberBytes, utf8Bytes } from "./item-size.js";
import {
  type IndexEntry,
  type PartitionHead,
  type ProducerBatchMeta,
  type ProducerState,
  producerToData,
} from "./model.js";

/**
 * Kafka's producer sequences are int32s that wrap: after 2^31 - 1 comes 0 (a producer that has
 * written two billion records goes on, it does not fail). Every sum and comparison of sequences
 * is modulo SEQUENCE_MODULUS.
 */
export const SEQUENCE_MODULUS = 2 ** 31;

/** `sequence + n`, wrapped as Kafka wraps it. */
export function addSequence(sequence: number, n: number): number {
  return (((sequence + n) % SEQUENCE_MODULUS) + SEQUENCE_MODULUS) % SEQUENCE_MODULUS;
}

/** The records a batch from `first` to `last` covers (the wrap included). */
export function sequenceSpan(first: number, last: number): number {
  return addSequence(last, -first) + 1;
}

/** Shared with the producer's in-flight window (client/src/idempotence.ts), so they cannot drift. */
export { PRODUCER_BATCHES_KEPT };

export interface ProducerLimits {
  /**
   * Producers remembered per partition. Past it a NEW producer's append is refused with
   * `producer_limit` (retriable: idle producers expire); a known producer is never forgotten to
   * make room, since a forgotten producer's retry would be written twice.
   */
  maxProducersPerPartition: number;
  /**
   * Bytes the head's producer map may take, each producer counted at its worst case
   * (`producerBytesMax`: its id, 5 batches, the largest numbers), so that a known producer's
   * next batch can never push the map past it. A new producer that does not fit is refused too.
   */
  producerStateBytesMax: number;
  /** A producer idle longer than this is forgotten (Kafka: producer.id.expiration.ms, 1 day). */
  producerStateTtlMs: number;
}

export const DEFAULT_PRODUCER_LIMITS: ProducerLimits = {
  // The head is rewritten by every commit and DynamoDB bills each KiB written: 64 producers are at
  // most 64 x 411 bytes (~26 KiB, under the 32 KiB byte bound); the usual head is well under 1 KiB.
  maxProducersPerPartition: 64,
  producerStateBytesMax: 32 * 1024,
  producerStateTtlMs: 24 * 60 * 60 * 1000,
};

export interface PlanLimits {
  producer: ProducerLimits;
}

export const DEFAULT_PLAN_LIMITS: PlanLimits = { producer: DEFAULT_PRODUCER_LIMITS };

/** The running scalars of a partition while a plan goes through its appends. */
interface HeadScalars {
  nextOffset: number;
  lastTimestamp: number;
  appendedBytes: number;
}

/** The most one producer's state can take: the largest numbers everywhere, 5 batches. */
const PRODUCER_VALUE_BYTES_MAX = (() => {
  const n = -Number.MAX_SAFE_INTEGER; // 16 digits and a sign: the largest a stored number can be
  const batch = { firstSequence: n, lastSequence: n, baseOffset: n, lastOffset: n, timestamp: n };
  const worst: ProducerState = {
    epoch: n,
    updatedAt: n,
    batches: Array.from({ length: PRODUCER_BATCHES_KEPT }, () => batch),
  };
  return mapMemberBytes("", producerToData(worst));
})();

/** The most one producer can add to the head's producer map (its id and its worst-case state). */
export function producerBytesMax(id: string): number {
  return utf8Bytes(id) + PRODUCER_VALUE_BYTES_MAX;
}

export interface PlacedAppend {
  append: PartitionAppend;
  /** Byte range of this append's payload inside the segment object. */
  pos: number;
  len: number;
}

export interface CommitPlan {
  /** One per append given, in order. */
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
  const lastSequence = addSequence(stamp.firstSequence, recordCount - 1);
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
  const last = state.batches.at(-1);
  const expected = last ? addSequence(last.lastSequence, 1) : 0;
  if (stamp.firstSequence === expected) return { kind: "accept" };
  // Behind or ahead, on the circle of sequences: behind when less than half of it away.
  const behind = addSequence(expected, -stamp.firstSequence);
  const why =
    behind > 0 && behind < SEQUENCE_MODULUS / 2
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

function producerLimitReached(id: string, message: string, details: Record<string, number>): ProducerVerdict {
  return {
    kind: "reject",
    error: new FloeError(
      "producer_limit",
      `new producer ${id} refused: ${message}; known producers are kept until idle past producer.id.expiration.ms, retry later`,
      details,
      1,
    ),
  };
}

/** The producers still remembered at `nowMs`: those idle past the TTL expire, as in Kafka. */
export function liveProducers(producers: ReadonlyMap<string, ProducerState>, nowMs: number, ttlMs: number) {
  const live = new Map<string, ProducerState>();
  for (const [id, state] of producers) if (nowMs - state.updatedAt <= ttlMs) live.set(id, state);
  return live;
}

/**
 * Evaluates appends in order against an evolving copy of the partition's state (a view of the
 * topic state: topic-state.ts). Pure; the committer turns the plans of a flush's partitions into
 * one commit record (the record's byte budget bounds how many appends one plan gets).
 */
export function planCommit(
  head: PartitionHead,
  placed: PlacedAppend[],
  segmentKey: string,
  nowMs: number,
  limits: PlanLimits = DEFAULT_PLAN_LIMITS,
): CommitPlan {
  if (head.deleted) {
    // A tombstone written by topic deletion: this incarnation takes no more appends, ever. The
    // caller's cached topic is stale; its retry re-reads the topic (topic-store.ts tombstoneHead).
    const name = placed[0]?.append.topic.name ?? head.topicId;
    const error = new FloeError("topic_not_found", `topic ${name} was deleted`, { topic: name });
    return {
      outcomes: placed.map(() => ({ ok: false, error })),
      entries: [],
      nextHead: undefined,
    };
  }
  // Producer states are replaced, never mutated, so a shallow copy of the map is a private copy.
  const producers = liveProducers(head.producers, nowMs, limits.producer.producerStateTtlMs);
  let producerWorstBytes = 0;
  for (const id of producers.keys()) producerWorstBytes += producerBytesMax(id);
  let scalars: HeadScalars = {
    nextOffset: head.nextOffset,
    lastTimestamp: head.lastTimestamp,
    appendedBytes: head.appendedBytes,
  };
  const outcomes: AppendOutcome[] = [];
  const entries: IndexEntry[] = [];
  let run: IndexEntry | undefined;

  for (const { append, pos, len } of placed) {
    const verdict = judge(append, scalars.nextOffset, producers, producerWorstBytes, limits.producer);
    if (verdict.kind === "reject") {
      outcomes.push({ ok: false, error: verdict.error });
      run = undefined;
      continue;
    }
    if (verdict.kind === "duplicate") {
      const { baseOffset, lastOffset } = verdict.batch;
      outcomes.push({ ok: true, baseOffset, lastOffset, duplicate: true });
      run = undefined;
      continue;
    }
    const baseOffset = scalars.nextOffset;
    const lastOffset = baseOffset + append.recordCount - 1;
    const next: HeadScalars = {
      nextOffset: lastOffset + 1,
      lastTimestamp: Math.max(scalars.lastTimestamp, append.maxTimestamp),
      appendedBytes: scalars.appendedBytes + len,
    };
    const extendsRun = run !== undefined && run.pos + run.len === pos;
    const nextRun = extendsRun
      ? extendRun(run!, append, len, lastOffset, next.lastTimestamp)
      : newRun(append, segmentKey, pos, len, baseOffset, lastOffset, next.lastTimestamp);
    const producer: [string, ProducerState] | undefined = append.producer
      ? [
          append.producer.id,
          remembered(
            producers.get(append.producer.id),
            append.producer,
            append.recordCount,
            baseOffset,
            lastOffset,
            nowMs,
          ),
        ]
      : undefined;
    scalars = next;
    if (extendsRun) entries[entries.length - 1] = nextRun;
    else entries.push(nextRun);
    run = nextRun;
    if (producer) {
      if (!producers.has(producer[0])) producerWorstBytes += producerBytesMax(producer[0]);
      producers.set(producer[0], producer[1]);
    }
    outcomes.push({ ok: true, baseOffset, lastOffset, duplicate: false });
  }

  if (entries.length === 0) return { outcomes, entries, nextHead: undefined };
  return {
    outcomes,
    entries,
    nextHead: { ...head, ...scalars, pending: entries, producers, version: head.version + 1 },
  };
}

/** The verdict on one append: match_offset first, then Kafka's idempotence, then admission. */
function judge(
  append: PartitionAppend,
  nextOffset: number,
  producers: ReadonlyMap<string, ProducerState>,
  producerWorstBytes: number,
  limits: ProducerLimits,
): ProducerVerdict {
  if (append.matchOffset !== undefined && append.matchOffset !== nextOffset) {
    return {
      kind: "reject",
      error: new FloeError(
        "offset_mismatch",
        `the partition's next offset is ${nextOffset}, not ${append.matchOffset}`,
        { expected_offset: nextOffset },
      ),
    };
  }
  const stamp = append.producer;
  if (!stamp) return { kind: "accept" };
  // The HTTP layer refuses such ids with 400 already; this guards every other caller of the engine.
  if (!isValidProducerId(stamp.id)) {
    return {
      kind: "reject",
      error: new FloeError("invalid_request", PRODUCER_ID_RULE, { field: "producer.id" }),
    };
  }
  const state = producers.get(stamp.id);
  const verdict = checkProducer(state, stamp, append.recordCount);
  if (verdict.kind !== "accept" || state) return verdict;
  // A new producer: admitted only if room remains. Nobody is evicted to make room.
  if (producers.size >= limits.maxProducersPerPartition) {
    return producerLimitReached(
      stamp.id,
      `the partition remembers ${limits.maxProducersPerPartition} producers`,
      {
        limit_producers: limits.maxProducersPerPartition,
      },
    );
  }
  if (producerWorstBytes + producerBytesMax(stamp.id) > limits.producerStateBytesMax) {
    return producerLimitReached(
      stamp.id,
      `the partition's producer state would exceed ${limits.producerStateBytesMax} bytes`,
      { limit_bytes: limits.producerStateBytesMax },
    );
  }
  return verdict;
}

function newRun(
  append: PartitionAppend,
  segmentKey: string,
  pos: number,
  len: number,
  baseOffset: number,
  lastOffset: number,
  maxTimestampSoFar: number,
): IndexEntry {
  return {
    baseOffset,
    lastOffset,
    recordCount: append.recordCount,
    segmentKey,
    pos,
    len,
    batchCount: append.batchCount,
    firstTimestamp: append.firstTimestamp,
    maxTimestamp: append.maxTimestamp,
    // The time index (time-index.ts): the partition's running max timestamp, non-decreasing in offset.
    maxTimestampSoFar,
    relativeOffsets: false,
  };
}

function extendRun(
  run: IndexEntry,
  append: PartitionAppend,
  len: number,
  lastOffset: number,
  maxTimestampSoFar: number,
): IndexEntry {
  return {
    ...run,
    len: run.len + len,
    lastOffset,
    recordCount: run.recordCount + append.recordCount,
    batchCount: run.batchCount + append.batchCount,
    firstTimestamp: Math.min(run.firstTimestamp, append.firstTimestamp),
    maxTimestamp: Math.max(run.maxTimestamp, append.maxTimestamp),
    maxTimestampSoFar,
  };
}

/** The producer's state once this batch is accepted: a new object, the last 5 batches kept. */
export function remembered(
  prior: ProducerState | undefined,
  stamp: ProducerStamp,
  recordCount: number,
  baseOffset: number,
  lastOffset: number,
  nowMs: number,
): ProducerState {
  const kept =
    prior && prior.epoch === stamp.epoch
      ? prior.batches.slice(Math.max(0, prior.batches.length - PRODUCER_BATCHES_KEPT + 1))
      : [];
  const batch: ProducerBatchMeta = {
    firstSequence: stamp.firstSequence,
    lastSequence: addSequence(stamp.firstSequence, recordCount - 1),
    baseOffset,
    lastOffset,
    timestamp: nowMs,
  };
  return { epoch: stamp.epoch, batches: [...kept, batch], updatedAt: nowMs };
}
