/**
 * A topic's state as the commit chain makes it: the fold of its commit records (commit-record.ts)
 * from an empty topic, or from a checkpoint. Pure: no I/O. The committer plans every commit on
 * this state and the readers take each partition's high watermark and newest entries from it.
 *
 * Per partition it holds exactly what a partition head held before the chain existed (scalars,
 * idempotent producers), so the planner (commit-plan.ts) still works on one `PartitionHead` view
 * per partition.
 */

import { liveProducers, remembered, sequenceSpan } from "./commit-plan.js";
import { type CommitRecord, entriesOf, type PartitionScalars } from "./commit-record.js";
import type { IndexEntry, PartitionHead, ProducerState } from "./model.js";
import { MAP_ENTRY_BYTES, retainedBytes } from "./retained-size.js";

export interface CheckpointRef {
  seq: number;
  /** Object key of the checkpoint (checkpoints/<topicId>/...). */
  key: string;
}

export interface TopicState {
  topicId: string;
  /** Seq of the last linked record (0: nothing committed yet). */
  seq: number;
  /** The head item's version this state was read from or written with (the link CAS uses it). */
  headVersion: number;
  /** The head says the topic was deleted: no commit will ever be linked again. */
  deleted: boolean;
  checkpoint: CheckpointRef | undefined;
  partitions: PartitionScalars[];
  /** Only partitions with producers appear; maps are replaced, never mutated (states are shared). */
  producers: Map<number, Map<string, ProducerState>>;
  /** The record at `seq` (undefined at seq 0 or after a checkpoint load): its entries are the newest. */
  last: CommitRecord | undefined;
}

export const EMPTY_SCALARS: PartitionScalars = {
  nextOffset: 0,
  logStartOffset: 0,
  lastTimestamp: -1,
  appendedBytes: 0,
};

export function emptyTopicState(topicId: string): TopicState {
  return {
    topicId,
    seq: 0,
    headVersion: 0,
    deleted: false,
    checkpoint: undefined,
    partitions: [],
    producers: new Map(),
    last: undefined,
  };
}

export function scalarsOf(state: TopicState, partition: number): PartitionScalars {
  return state.partitions[partition] ?? EMPTY_SCALARS;
}

/** A copy of the state's scalar vector, at least `width` partitions wide (new ones empty). */
export function scalarVector(state: TopicState, width: number): PartitionScalars[] {
  const vector: PartitionScalars[] = [];
  for (let p = 0; p < Math.max(width, state.partitions.length); p++) vector.push(scalarsOf(state, p));
  return vector;
}

/**
 * The state after `record`. The record must be the next one (seq + 1): records are folded in
 * chain order only, which is what makes every process's fold the same.
 */
export function applyRecord(state: TopicState, record: CommitRecord): TopicState {
  if (record.seq !== state.seq + 1)
    throw new Error(`commit chain of ${state.topicId}: record ${record.seq} does not follow ${state.seq}`);
  const touched = new Set<number>();
  for (const e of record.entries) touched.add(e.partition);
  let producers = state.producers;
  if (touched.size > 0 && (producers.size > 0 || record.producers.length > 0)) {
    producers = new Map(producers);
    for (const p of touched) {
      const prior = producers.get(p);
      if (prior) producers.set(p, liveProducers(prior, record.at, record.producerTtlMs));
    }
    for (const u of record.producers) {
      let map = producers.get(u.partition);
      if (!map || map === state.producers.get(u.partition)) {
        map = new Map(map ?? []);
        producers.set(u.partition, map);
      }
      const count = sequenceSpan(u.firstSequence, u.lastSequence);
      map.set(
        u.id,
        remembered(
          map.get(u.id),
          { id: u.id, epoch: u.epoch, firstSequence: u.firstSequence },
          count,
          u.baseOffset,
          u.lastOffset,
          record.at,
        ),
      );
    }
    for (const [p, map] of producers) if (map.size === 0) producers.delete(p);
  }
  return {
    ...state,
    seq: record.seq,
    partitions: record.partitions,
    producers,
    last: record,
  };
}

/** One partition of the state as the planner and the readers see it. */
export function partitionView(state: TopicState, partition: number): PartitionHead {
  const scalars = scalarsOf(state, partition);
  const pending: IndexEntry[] = state.last ? entriesOf(state.last, partition) : [];
  return {
    topicId: state.topicId,
    partition,
    nextOffset: scalars.nextOffset,
    logStartOffset: scalars.logStartOffset,
    lastTimestamp: scalars.lastTimestamp,
    appendedBytes: scalars.appendedBytes,
    pending,
    producers: state.producers.get(partition) ?? new Map(),
    version: state.seq,
    ...(state.deleted ? { deleted: true } : {}),
  };
}

// ---- cache charges ---------------------------------------------------------------------------------

/**
 * Charges of producer maps, by identity. A state's maps are replaced, never mutated, once
 * applyRecord or decodeCheckpoint returned them, so a map is walked once, not on every commit that
 * caches a state sharing it (a topic at the producer limits holds 64 producers per partition).
 */
const producerCharges = new WeakMap<ReadonlyMap<string, ProducerState>, number>();

export function producersRetainedBytes(producers: ReadonlyMap<string, ProducerState>): number {
  let bytes = producerCharges.get(producers);
  if (bytes === undefined) {
    bytes = retainedBytes(producers);
    producerCharges.set(producers, bytes);
  }
  return bytes;
}

/** What a cached topic state keeps alive (its producer maps charged once each, see above). */
export function topicStateBytes(state: TopicState): number {
  let bytes = retainedBytes({ ...state, producers: undefined });
  for (const map of state.producers.values()) bytes += MAP_ENTRY_BYTES + 16 + producersRetainedBytes(map);
  return bytes;
}

/** What a cached partition view keeps alive. */
export function partitionHeadBytes(head: PartitionHead): number {
  return retainedBytes({ ...head, producers: undefined }) + producersRetainedBytes(head.producers);
}

// ---- checkpoints ----------------------------------------------------------------------------------

interface CheckpointJson {
  format: 1;
  topic_id: string;
  seq: number;
  partitions: Array<[number, number, number, number]>;
  /** [partition, [[id, epoch, updatedAt, [[firstSeq, lastSeq, base, last, ts], ...]], ...]] */
  producers: Array<[number, Array<[string, number, number, number[][]]>]>;
}

/** The state at `state.seq`, as a checkpoint object's bytes (JSON: rare, read on cold starts). */
export function encodeCheckpoint(state: TopicState): Uint8Array {
  const json: CheckpointJson = {
    format: 1,
    topic_id: state.topicId,
    seq: state.seq,
    partitions: state.partitions.map((p) => [
      p.nextOffset,
      p.logStartOffset,
      p.lastTimestamp,
      p.appendedBytes,
    ]),
    producers: [...state.producers].map(([p, map]) => [
      p,
      [...map].map(([id, s]) => [
        id,
        s.epoch,
        s.updatedAt,
        s.batches.map((b) => [b.firstSequence, b.lastSequence, b.baseOffset, b.lastOffset, b.timestamp]),
      ]),
    ]),
  };
  return new TextEncoder().encode(JSON.stringify(json));
}

export function decodeCheckpoint(bytes: Uint8Array, topicId: string): TopicState {
  const json = JSON.parse(new TextDecoder().decode(bytes)) as CheckpointJson;
  if (json.format !== 1 || json.topic_id !== topicId || !Number.isSafeInteger(json.seq))
    throw new Error(`corrupt checkpoint of topic ${topicId}`);
  const producers = new Map<number, Map<string, ProducerState>>();
  for (const [p, list] of json.producers) {
    const map = new Map<string, ProducerState>();
    for (const [id, epoch, updatedAt, batches] of list) {
      map.set(id, {
        epoch,
        updatedAt,
        batches: batches.map(([firstSequence, lastSequence, baseOffset, lastOffset, timestamp]) => ({
          firstSequence: firstSequence!,
          lastSequence: lastSequence!,
          baseOffset: baseOffset!,
          lastOffset: lastOffset!,
          timestamp: timestamp!,
        })),
      });
    }
    producers.set(p, map);
  }
  return {
    ...emptyTopicState(topicId),
    seq: json.seq,
    partitions: json.partitions.map(([nextOffset, logStartOffset, lastTimestamp, appendedBytes]) => ({
      nextOffset,
      logStartOffset,
      lastTimestamp,
      appendedBytes,
    })),
    producers,
  };
}
