/**
 * The manifest's records, as the engine sees them, and their mapping to store items.
 * Field names inside items are snake_case so the table reads well in the DynamoDB console.
 */

import type { ItemData, ManifestItem } from "../ports/manifest-store.js";
import { entrySk, HEAD_SK, partitionPk, TOPICS_PK, topicSk } from "./keys.js";

export type CleanupPolicy = "delete" | "compact";

/** Kafka-named topic configuration (api.md § Topics). */
export interface TopicConfig {
  "retention.ms": number;
  "retention.bytes": number;
  "cleanup.policy": CleanupPolicy;
  "max.message.bytes": number;
  "delete.retention.ms": number;
}

export interface TopicMeta {
  name: string;
  /** Random per incarnation: partitions and entries are keyed by it, never by the name. */
  topicId: string;
  partitions: number;
  config: TopicConfig;
  createdAt: number;
  /** Manifest item version, for conditional updates. */
  version: number;
}

/**
 * One index entry: a run of dense offsets stored contiguously in one segment object.
 * `relativeOffsets` is false for batches written by producers (the reader derives each batch's
 * base offset from the running record count: the stored base offset is 0) and true for batches
 * rewritten by maintenance, whose stored base offsets are relative to `baseOffset` and may be sparse.
 */
export interface IndexEntry {
  baseOffset: number;
  /** Offset of the last record (inclusive). */
  lastOffset: number;
  recordCount: number;
  segmentKey: string;
  /** Byte range in the segment object. */
  pos: number;
  len: number;
  batchCount: number;
  firstTimestamp: number;
  maxTimestamp: number;
  /**
   * The time index (time-index.ts): the highest record timestamp of the partition up to and
   * including this entry, so non-decreasing in offset. Computed at commit from the head's
   * `lastTimestamp`, stored in the entry item itself (no extra write). Absent on entries written
   * before the time index existed.
   */
  maxTimestampSoFar?: number;
  relativeOffsets: boolean;
}

/** What the head remembers of one idempotent producer (Kafka keeps the last 5 batches too). */
export interface ProducerBatchMeta {
  firstSequence: number;
  lastSequence: number;
  baseOffset: number;
  lastOffset: number;
  timestamp: number;
}

export interface ProducerState {
  epoch: number;
  /** Most recent last; at most PRODUCER_BATCHES_KEPT. */
  batches: ProducerBatchMeta[];
  /** Clock time of the last append, for eviction. */
  updatedAt: number;
}

/**
 * The partition head: the single item whose conditional update is the linearisation point of
 * every append. It also carries the entries of the latest commit (`pending`) so that a crash
 * between the head update and the entry writes loses nothing.
 */
export interface PartitionHead {
  topicId: string;
  partition: number;
  nextOffset: number;
  logStartOffset: number;
  /** Highest record timestamp appended so far (-1 when empty). */
  lastTimestamp: number;
  /** Total bytes of batches appended (for retention.bytes); never decreases on its own. */
  appendedBytes: number;
  pending: IndexEntry[];
  producers: Record<string, ProducerState>;
  version: number;
}

export function emptyHead(topicId: string, partition: number): PartitionHead {
  return {
    topicId,
    partition,
    nextOffset: 0,
    logStartOffset: 0,
    lastTimestamp: -1,
    appendedBytes: 0,
    pending: [],
    producers: {},
    version: 0,
  };
}

// ---- item codecs --------------------------------------------------------------------------------

function num(data: ItemData, field: string): number {
  const value = data[field];
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new Error(`corrupt manifest item: ${field} is ${JSON.stringify(value)}`);
  }
  return value;
}

function str(data: ItemData, field: string): string {
  const value = data[field];
  if (typeof value !== "string") throw new Error(`corrupt manifest item: ${field} is not a string`);
  return value;
}

export function entryToData(e: IndexEntry): ItemData {
  return {
    base_offset: e.baseOffset,
    last_offset: e.lastOffset,
    record_count: e.recordCount,
    segment_key: e.segmentKey,
    pos: e.pos,
    len: e.len,
    batch_count: e.batchCount,
    first_timestamp: e.firstTimestamp,
    max_timestamp: e.maxTimestamp,
    ...(e.maxTimestampSoFar !== undefined ? { max_timestamp_so_far: e.maxTimestampSoFar } : {}),
    relative_offsets: e.relativeOffsets,
  };
}

export function entryFromData(d: ItemData): IndexEntry {
  const entry: IndexEntry = {
    baseOffset: num(d, "base_offset"),
    lastOffset: num(d, "last_offset"),
    recordCount: num(d, "record_count"),
    segmentKey: str(d, "segment_key"),
    pos: num(d, "pos"),
    len: num(d, "len"),
    batchCount: num(d, "batch_count"),
    firstTimestamp: num(d, "first_timestamp"),
    maxTimestamp: num(d, "max_timestamp"),
    relativeOffsets: d.relative_offsets === true,
  };
  if (d.max_timestamp_so_far !== undefined) entry.maxTimestampSoFar = num(d, "max_timestamp_so_far");
  const soFarBelowOwn = entry.maxTimestampSoFar !== undefined && entry.maxTimestampSoFar < entry.maxTimestamp;
  if (entry.lastOffset < entry.baseOffset || entry.len <= 0 || soFarBelowOwn) {
    throw new Error(`corrupt index entry at offset ${entry.baseOffset}`);
  }
  return entry;
}

export function entryItem(topicId: string, partition: number, e: IndexEntry): ManifestItem {
  return { pk: partitionPk(topicId, partition), sk: entrySk(e.baseOffset), version: 1, data: entryToData(e) };
}

export function headToItem(h: PartitionHead): ManifestItem {
  const producers: ItemData = {};
  for (const [id, p] of Object.entries(h.producers)) {
    producers[id] = {
      epoch: p.epoch,
      updated_at: p.updatedAt,
      // Compact tuples: the head is rewritten on every commit and DynamoDB bills per KiB written.
      batches: p.batches.map((b) => [
        b.firstSequence,
        b.lastSequence,
        b.baseOffset,
        b.lastOffset,
        b.timestamp,
      ]),
    };
  }
  return {
    pk: partitionPk(h.topicId, h.partition),
    sk: HEAD_SK,
    version: h.version,
    data: {
      topic_id: h.topicId,
      partition: h.partition,
      next_offset: h.nextOffset,
      log_start_offset: h.logStartOffset,
      last_timestamp: h.lastTimestamp,
      appended_bytes: h.appendedBytes,
      pending: h.pending.map(entryToData),
      producers,
    },
  };
}

export function headFromItem(item: ManifestItem): PartitionHead {
  const d = item.data;
  const producers: Record<string, ProducerState> = {};
  const rawProducers = (d.producers ?? {}) as Record<string, ItemData>;
  for (const [id, p] of Object.entries(rawProducers)) {
    const batches = (p.batches as number[][]).map(
      ([firstSequence, lastSequence, baseOffset, lastOffset, timestamp]) => ({
        firstSequence: firstSequence!,
        lastSequence: lastSequence!,
        baseOffset: baseOffset!,
        lastOffset: lastOffset!,
        timestamp: timestamp!,
      }),
    );
    producers[id] = { epoch: num(p, "epoch"), updatedAt: num(p, "updated_at"), batches };
  }
  const head: PartitionHead = {
    topicId: str(d, "topic_id"),
    partition: num(d, "partition"),
    nextOffset: num(d, "next_offset"),
    logStartOffset: num(d, "log_start_offset"),
    lastTimestamp: num(d, "last_timestamp"),
    appendedBytes: num(d, "appended_bytes"),
    pending: ((d.pending ?? []) as ItemData[]).map(entryFromData),
    producers,
    version: item.version,
  };
  if (head.logStartOffset > head.nextOffset)
    throw new Error(`corrupt head ${item.pk}: log start past next offset`);
  return head;
}

export function topicToItem(t: TopicMeta): ManifestItem {
  return {
    pk: TOPICS_PK,
    sk: topicSk(t.name),
    version: t.version,
    data: {
      name: t.name,
      topic_id: t.topicId,
      partitions: t.partitions,
      config: { ...t.config },
      created_at: t.createdAt,
    },
  };
}

export function topicFromItem(item: ManifestItem): TopicMeta {
  const d = item.data;
  return {
    name: str(d, "name"),
    topicId: str(d, "topic_id"),
    partitions: num(d, "partitions"),
    config: d.config as TopicConfig,
    createdAt: num(d, "created_at"),
    version: item.version,
  };
}
