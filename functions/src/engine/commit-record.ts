/**
 * The commit record: what one commit (usually one flush's share of one topic) did to the topic,
 * stored once as the item `s#<topicId>` / `c#<seq>` (docs/design/manifest.md § The commit chain).
 *
 * It carries the FULL per-partition scalar vector after the commit (so the newest record alone
 * answers every partition's high watermark, and any record answers "where was partition p at
 * seq s", which readers bisect on), the index entries the commit created, and the idempotent
 * producers' changes as deltas (the full producer state is folded from records and checkpoints,
 * never rewritten whole: a flush costs bytes in proportion to what it changed).
 */
import { addSequence, sequenceSpan } from "./commit-plan.js";
import type { IndexEntry } from "./model.js";
import { ByteReader, ByteWriter } from "./varint.js";

const FORMAT = 1;

export interface PartitionScalars {
  nextOffset: number;
  logStartOffset: number;
  /** Running max record timestamp of the partition (-1 while empty). */
  lastTimestamp: number;
  appendedBytes: number;
}

/** One accepted idempotent batch (ProducerBatchMeta's fields; its timestamp is the record's `at`). */
export interface ProducerUpdate {
  partition: number;
  id: string;
  epoch: number;
  firstSequence: number;
  lastSequence: number;
  baseOffset: number;
  lastOffset: number;
}

export interface RecordEntry {
  partition: number;
  entry: IndexEntry;
}

export interface CommitRecord {
  seq: number;
  /** The committing writer's clock when it planned (producer timestamps and expiry use it). */
  at: number;
  /** Unique per planned record: the evidence a writer looks for after a lost response. */
  nonce: string;
  /** Every partition's scalars after this commit; partitions past the end are empty. */
  partitions: PartitionScalars[];
  entries: RecordEntry[];
  producers: ProducerUpdate[];
  /**
   * The producer TTL the plan used: folding drops, in every partition this record appends to,
   * the producers idle longer than this at `at`, before applying `producers` — exactly what the
   * planner did (commit-plan.ts liveProducers), whatever TTL the folding process is configured with.
   */
  producerTtlMs: number;
}

export function encodeRecord(r: CommitRecord): Uint8Array {
  const w = new ByteWriter();
  w.byte(FORMAT);
  w.uint(r.seq);
  w.uint(r.at);
  w.string(r.nonce);
  w.uint(r.producerTtlMs);
  w.uint(r.partitions.length);
  for (const p of r.partitions) {
    w.uint(p.nextOffset);
    w.uint(p.nextOffset - p.logStartOffset);
    w.delta(p.lastTimestamp, r.at);
    w.uint(p.appendedBytes);
  }
  // Segment keys repeat across a record's entries (one flush object): a table, then indexes.
  const segments = new Map<string, number>();
  for (const { entry } of r.entries)
    if (!segments.has(entry.segmentKey)) segments.set(entry.segmentKey, segments.size);
  w.uint(segments.size);
  for (const key of segments.keys()) w.string(key);
  w.uint(r.entries.length);
  for (const { partition, entry: e } of r.entries) {
    w.uint(partition);
    w.uint(e.baseOffset);
    w.uint(e.lastOffset - e.baseOffset);
    w.uint(e.recordCount);
    w.uint(segments.get(e.segmentKey)!);
    w.uint(e.pos);
    w.uint(e.len);
    w.uint(e.batchCount);
    w.delta(e.firstTimestamp, r.at);
    w.delta(e.maxTimestamp, r.at);
    const soFar = e.maxTimestampSoFar ?? e.maxTimestamp;
    w.delta(soFar, e.maxTimestamp);
    w.byte(e.relativeOffsets ? 1 : 0);
  }
  const ids = new Map<string, number>();
  for (const u of r.producers) if (!ids.has(u.id)) ids.set(u.id, ids.size);
  w.uint(ids.size);
  for (const id of ids.keys()) w.string(id);
  w.uint(r.producers.length);
  for (const u of r.producers) {
    w.uint(u.partition);
    w.uint(ids.get(u.id)!);
    w.int(u.epoch);
    w.uint(u.firstSequence);
    w.uint(sequenceSpan(u.firstSequence, u.lastSequence) - 1);
    w.uint(u.baseOffset);
    w.uint(u.lastOffset - u.baseOffset);
  }
  return w.bytes();
}

export function decodeRecord(bytes: Uint8Array): CommitRecord {
  const r = new ByteReader(bytes);
  const format = r.byte();
  if (format !== FORMAT) throw new Error(`corrupt commit record: format ${format}`);
  const seq = r.uint();
  const at = r.uint();
  const nonce = r.string();
  const producerTtlMs = r.uint();
  const partitions: PartitionScalars[] = [];
  for (let i = r.uint(); i > 0; i--) {
    const nextOffset = r.uint();
    const logStartOffset = nextOffset - r.uint();
    const lastTimestamp = r.delta(at);
    partitions.push({ nextOffset, logStartOffset, lastTimestamp, appendedBytes: r.uint() });
  }
  const segments: string[] = [];
  for (let i = r.uint(); i > 0; i--) segments.push(r.string());
  const entries: RecordEntry[] = [];
  for (let i = r.uint(); i > 0; i--) {
    const partition = r.uint();
    const baseOffset = r.uint();
    const lastOffset = baseOffset + r.uint();
    const recordCount = r.uint();
    const segmentKey = segments[r.uint()];
    if (segmentKey === undefined) throw new Error("corrupt commit record: segment index");
    const pos = r.uint();
    const len = r.uint();
    const batchCount = r.uint();
    const firstTimestamp = r.delta(at);
    const maxTimestamp = r.delta(at);
    const maxTimestampSoFar = r.delta(maxTimestamp);
    const relativeOffsets = r.byte() === 1;
    entries.push({
      partition,
      entry: {
        baseOffset,
        lastOffset,
        recordCount,
        segmentKey,
        pos,
        len,
        batchCount,
        firstTimestamp,
        maxTimestamp,
        maxTimestampSoFar,
        relativeOffsets,
      },
    });
  }
  const ids: string[] = [];
  for (let i = r.uint(); i > 0; i--) ids.push(r.string());
  const id = (): string => {
    const value = ids[r.uint()];
    if (value === undefined) throw new Error("corrupt commit record: producer index");
    return value;
  };
  const producers: ProducerUpdate[] = [];
  for (let i = r.uint(); i > 0; i--) {
    const partition = r.uint();
    const producerId = id();
    const epoch = r.int();
    const firstSequence = r.uint();
    const lastSequence = addSequence(firstSequence, r.uint());
    const baseOffset = r.uint();
    const lastOffset = baseOffset + r.uint();
    producers.push({ partition, id: producerId, epoch, firstSequence, lastSequence, baseOffset, lastOffset });
  }
  if (!r.done) throw new Error("corrupt commit record: trailing bytes");
  return { seq, at, nonce, producerTtlMs, partitions, entries, producers };
}

/** Each record's entries by partition, built once: records are immutable once decoded or planned. */
const byPartition = new WeakMap<CommitRecord, Map<number, IndexEntry[]>>();
const NO_ENTRIES: IndexEntry[] = [];

/**
 * The entries of one partition in a record, in offset order (shared: callers must not change
 * the array). Indexed once per record, because planning, announcing and answering a flush ask for
 * every partition of it (a scan per partition would be quadratic in the partitions touched).
 */
export function entriesOf(record: CommitRecord, partition: number): IndexEntry[] {
  let index = byPartition.get(record);
  if (!index) {
    index = new Map();
    for (const e of record.entries) {
      const list = index.get(e.partition);
      if (list) list.push(e.entry);
      else index.set(e.partition, [e.entry]);
    }
    byPartition.set(record, index);
  }
  return index.get(partition) ?? NO_ENTRIES;
}
