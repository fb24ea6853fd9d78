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
  /** Clock time of the last append, for expiry (producerStateTtlMs). */
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
  /** Keyed by client-chosen producer ids: a Map, so no id can collide with Object.prototype. */
  producers: Map<string, ProducerState>;
  version: number;
  /**
   * Set by topic deletion (topic-store.ts): this incarnation is gone. A writer or reader that
   * still caches the topic reads the tombstone and answers topic_not_found; a writer holding an
   * older head fails its version condition. Never cleared: a re-created topic has a new topicId.
   */
  deleted?: boolean;
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
    producers: new Map(),
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

/** One producer's state as stored in the head's `producers` map (compact tuples: see below). */
export function producerToData(p: ProducerState): ItemData {
  return {
    epoch: p.epoch,
    updated_at: p.updatedAt,
    // Compact tuples: the head is rewritten on every commit and DynamoDB bills per KiB written.
    batches: p.batches.map((b) => [b.firstSequence, b.lastSequence, b.baseOffset, b.lastOffset, b.timestamp]),
  };
}

function producerFromData(id: string, p: ItemData): ProducerState {
  if (!Array.isArray(p.batches)) throw new Error(`corrupt manifest item: producer ${id} has no batches`);
  const batches = (p.batches as unknown[]).map((tuple) => {
    if (!Array.isArray(tuple) || tuple.length !== 5 || !tuple.every((n) => Number.isSafeInteger(n)))
      throw new Error(`corrupt manifest item: producer ${id} batch ${JSON.stringify(tuple)}`);
    const [firstSequence, lastSequence, baseOffset, lastOffset, timestamp] = tuple as number[];
    return {
      firstSequence: firstSequence!,
      lastSequence: lastSequence!,
      baseOffset: baseOffset!,
      lastOffset: lastOffset!,
      timestamp: timestamp!,
    };
  });
  return { epoch: num(p, "epoch"), updatedAt: num(p, "updated_at"), batches };
}

/** The head's scalar attributes; `headToItem` adds `pending` and `producers` (sized separately). */
export function headScalarsToData(h: PartitionHead): ItemData {
  return {
    topic_id: h.topicId,
    partition: h.partition,
    next_offset: h.nextOffset,
    log_start_offset: h.logStartOffset,
    last_timestamp: h.lastTimestamp,
    appended_bytes: h.appendedBytes,
  };
}

export function headToItem(h: PartitionHead): ManifestItem {
  // Object.fromEntries defines own properties, so even an id like `__proto__` would stay a key.
  const producers: ItemData = Object.fromEntries(
    [...h.producers].map(([id, p]) => [id, producerToData(p)] as const),
  );
  return {
    pk: partitionPk(h.topicId, h.partition),
    sk: HEAD_SK,
    version: h.version,
    data: {
      ...headScalarsToData(h),
      pending: h.pending.map(entryToData),
      producers,
      // Only on tombstones: a live head stays as small as before (it is rewritten by every commit).
      ...(h.deleted ? { deleted: true } : {}),
    },
  };
}

export function headFromItem(item: ManifestItem): PartitionHead {
  const d = item.data;
  const producers = new Map<string, ProducerState>();
  const rawProducers = (d.producers ?? {}) as Record<string, ItemData>;
  for (const [id, p] of Object.entries(rawProducers)) producers.set(id, producerFromData(id, p));
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
    ...(d.deleted === true ? { deleted: true } : {}),
  };
  if (head.logStartOffset > head.nextOffset)
    throw new Error(`corrupt head ${item.pk}: log start past next offset`);
  return head;
}

/**
 * The topic item's life: `live`, then `deleting` (the delete has started: its heads are being
 * tombstoned), then `deleted` (a tombstone that remembers the incarnation and the delete's
 * request id until a topic of the same name is created over it). See docs/design/manifest.md.
 */
export type TopicState = "live" | "deleting" | "deleted";

/** The topic item as stored: the topic plus its life-cycle state and request ids. */
export interface TopicRecord {
  meta: TopicMeta;
  state: TopicState;
  /** `Floe-Request-Id` of the create that made this incarnation (a retried create answers 201). */
  createRequestId?: string;
  /** `Floe-Request-Id` of the delete of this incarnation (a retried delete answers 204). */
  deleteRequestId?: string;
  /** The delete request id of the incarnation this one replaced (a late retried delete of it is a no-op). */
  priorDeleteRequestId?: string;
}

export function topicToItem(t: TopicMeta): ManifestItem {
  return topicRecordToItem({ meta: t, state: "live" });
}

export function topicRecordToItem(r: TopicRecord): ManifestItem {
  const t = r.meta;
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
      state: r.state,
      ...(r.createRequestId !== undefined ? { create_request_id: r.createRequestId } : {}),
      ...(r.deleteRequestId !== undefined ? { delete_request_id: r.deleteRequestId } : {}),
      ...(r.priorDeleteRequestId !== undefined ? { prior_delete_request_id: r.priorDeleteRequestId } : {}),
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

export function topicRecordFromItem(item: ManifestItem): TopicRecord {
  const d = item.data;
  // Items written before the life cycle existed have no state: they are live topics.
  const state = d.state === undefined ? "live" : d.state;
  if (state !== "live" && state !== "deleting" && state !== "deleted")
    throw new Error(`corrupt topic item ${item.sk}: state ${JSON.stringify(state)}`);
  const optional = (field: string): string | undefined =>
    typeof d[field] === "string" ? (d[field] as string) : undefined;
  const createRequestId = optional("create_request_id");
  const deleteRequestId = optional("delete_request_id");
  const priorDeleteRequestId = optional("prior_delete_request_id");
  return {
    meta: topicFromItem(item),
    state,
    ...(createRequestId !== undefined ? { createRequestId } : {}),
    ...(deleteRequestId !== undefined ? { deleteRequestId } : {}),
    ...(priorDeleteRequestId !== undefined ? { priorDeleteRequestId } : {}),
  };
}
