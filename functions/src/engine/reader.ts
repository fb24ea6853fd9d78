/**
 * The read path: offset -> index entry -> byte range -> batches with their real base offsets
 * patched in. Bytes come from the hot tail (what this process just wrote), the range LRU, or one
 * ranged GET per entry. Only offsets below the head's next offset (the high watermark) are ever
 * served, so a reader never returns data the manifest has not committed.
 */
import { FloeError } from "../../../client/src/errors.js";
import { type BatchHeader, patchBaseOffset, splitBatches } from "../../../client/src/format/index.js";
import { ObjectNotFoundError, type ObjectStore } from "../ports/object-store.js";
import type { ChainIndex } from "./chain-index.js";
import type { EntryCache } from "./entry-cache.js";
import type { HotTail } from "./hot-tail.js";
import { partitionPk } from "./keys.js";
import type { IndexEntry, PartitionHead } from "./model.js";
import type { RangeCache } from "./range-cache.js";

export interface FetchedBatch {
  /** A copy of the stored batch with its absolute base offset patched into bytes 0-7. */
  bytes: Uint8Array;
  header: BatchHeader;
  baseOffset: number;
  lastOffset: number;
}

export interface ReadResult {
  batches: FetchedBatch[];
  /**
   * The first offset this read selected (a whole first batch may begin before it: consumers
   * skip the records below it, as Kafka consumers do).
   */
  startOffset: number;
  /** Offset after the last batch returned (= `offset` when nothing was returned). */
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
  lastTimestamp: number;
}

export interface ReadLimits {
  /** Stop adding batches once this many bytes are collected (the first batch always comes). */
  maxBytes: number;
  /** Stop once this many records at or after `offset` are collected. */
  maxRecords: number;
}

export interface ReaderDeps {
  objects: ObjectStore;
  index: ChainIndex;
  entries: EntryCache;
  ranges: RangeCache;
  hotTail: HotTail;
}

/** Ranges loaded ahead of a catch-up read (bounded also by the read's max bytes). */
const READ_AHEAD = 4;

export class Reader {
  stats = { entryQueries: 0, rangeGets: 0 };
  /** Batch boundaries of ranges already walked, keyed by the cached bytes themselves. */
  private readonly verified = new WeakMap<Uint8Array, ReturnType<typeof splitBatches>>();

  constructor(private readonly deps: ReaderDeps) {}

  /** Reads from `offset` (must be within [logStartOffset, highWatermark] of `head`). */
  async read(head: PartitionHead, offset: number, limits: ReadLimits): Promise<ReadResult> {
    const result: ReadResult = {
      batches: [],
      startOffset: offset,
      nextOffset: offset,
      highWatermark: head.nextOffset,
      logStartOffset: head.logStartOffset,
      lastTimestamp: head.lastTimestamp,
    };
    let bytes = 0;
    let records = 0;
    let at = offset;
    while (
      at < head.nextOffset &&
      records < limits.maxRecords &&
      (bytes < limits.maxBytes || result.batches.length === 0)
    ) {
      const entry = await this.entryFor(head, at);
      this.readAhead(head, entry, {
        maxBytes: limits.maxBytes - bytes - entry.len,
        maxRecords: limits.maxRecords - records - (entry.lastOffset - at + 1),
      });
      const range = await this.loadRange(head, entry);
      const batches = this.batchesOf(entry, range);
      let progressed = false;
      for (const b of batches) {
        if (b.lastOffset < at) continue;
        if (
          result.batches.length > 0 &&
          (bytes + b.bytes.byteLength > limits.maxBytes || records >= limits.maxRecords)
        ) {
          return result;
        }
        result.batches.push(b);
        bytes += b.bytes.byteLength;
        records += b.lastOffset - Math.max(at, b.baseOffset) + 1;
        at = b.lastOffset + 1;
        result.nextOffset = at;
        progressed = true;
        if (records >= limits.maxRecords) break;
      }
      if (!progressed) {
        // Compaction can leave an entry whose last records are gone: move past it.
        at = entry.lastOffset + 1;
        result.nextOffset = Math.min(at, head.nextOffset);
      }
    }
    return result;
  }

  /**
   * Starts loading the entries after `entry` that this read will probably need (known ones only,
   * within what is left of its byte and record limits), so a catch-up read waits for one round
   * trip per READ_AHEAD entries instead of one per entry. The loads land in the range cache,
   * coalesced with the read itself.
   */
  private readAhead(head: PartitionHead, entry: IndexEntry, budget: ReadLimits): void {
    const pk = partitionPk(head.topicId, head.partition);
    let { maxBytes: budgetBytes, maxRecords: budgetRecords } = budget;
    let next = entry;
    for (let i = 0; i < READ_AHEAD && budgetBytes > 0 && budgetRecords > 0; i++) {
      const offset = next.lastOffset + 1;
      const following =
        this.deps.entries.find(pk, offset) ?? head.pending.find((e) => e.baseOffset === offset);
      if (!following || following.lastOffset >= head.nextOffset) return;
      this.loadRange(head, following).catch(() => {
        // Only a hint: the read itself loads (and reports) the range when it gets there.
      });
      budgetBytes -= following.len;
      budgetRecords -= following.lastOffset - following.baseOffset + 1;
      next = following;
    }
  }

  /** The entry holding `offset`: the cache, the head's newest entries, or the commit chain. */
  async entryFor(head: PartitionHead, offset: number): Promise<IndexEntry> {
    const pk = partitionPk(head.topicId, head.partition);
    const cached = this.deps.entries.find(pk, offset);
    if (cached) return cached;
    const pending = head.pending.find((e) => e.baseOffset <= offset && offset <= e.lastOffset);
    if (pending) return pending;
    this.stats.entryQueries++;
    try {
      const { entry, following } = await this.deps.index.entryFor(head, offset);
      this.deps.entries.add(pk, [entry, ...following.filter((e) => e.lastOffset < head.nextOffset)]);
      return entry;
    } catch (error) {
      if (error instanceof FloeError) throw error;
      if (error instanceof Error && /commit (chain|record)/.test(error.message))
        throw new FloeError("internal", error.message);
      throw error;
    }
  }

  private async loadRange(head: PartitionHead, entry: IndexEntry): Promise<Uint8Array> {
    const hot = this.deps.hotTail.get(entry.segmentKey, entry.pos, entry.len);
    if (hot) return hot;
    const key = `${entry.segmentKey}:${entry.pos}:${entry.len}`;
    try {
      return await this.deps.ranges.get(key, async () => {
        this.stats.rangeGets++;
        return this.deps.objects.get(entry.segmentKey, { start: entry.pos, end: entry.pos + entry.len });
      });
    } catch (error) {
      if (error instanceof ObjectNotFoundError) {
        // Maintenance replaced this entry and removed its object: our cached entries are stale.
        this.deps.entries.forget(partitionPk(head.topicId, head.partition));
        throw new FloeError("unavailable", "the data moved while being read (maintenance); retry", {}, 0);
      }
      throw error;
    }
  }

  /** Splits an entry's bytes into batches with absolute offsets patched in. */
  private batchesOf(entry: IndexEntry, range: Uint8Array): FetchedBatch[] {
    // Batch boundaries are walked once per loaded range (lengths and magic checked). CRCs are not
    // checked here, as a Kafka broker does not check them on fetch: binary replies go to clients
    // that verify every batch's CRC as they decode (Kafka consumers' check.crcs, our SDK), and
    // JSON replies are decoded, with CRC checks, by the HTTP layer. Produce-side batches are
    // CRC-checked before anything is stored.
    let split = this.verified.get(range);
    if (!split) {
      split = splitBatches(range, { verifyCrc: false });
      this.verified.set(range, split);
    }
    const out: FetchedBatch[] = [];
    let running = entry.baseOffset;
    for (let i = 0; i < split.length; i++) {
      const { pos, header } = split[i]!;
      const end = i + 1 < split.length ? split[i + 1]!.pos : range.byteLength;
      const baseOffset = entry.relativeOffsets ? entry.baseOffset + header.baseOffset : running;
      const lastOffset = baseOffset + header.lastOffsetDelta;
      running = lastOffset + 1;
      const bytes = range.slice(pos, end);
      patchBaseOffset(bytes, 0, baseOffset);
      out.push({ bytes, header: { ...header, baseOffset }, baseOffset, lastOffset });
    }
    if (!entry.relativeOffsets && running !== entry.lastOffset + 1) {
      throw new FloeError(
        "internal",
        `entry at ${entry.baseOffset} holds ${running - entry.baseOffset} records, expected ${entry.recordCount}`,
      );
    }
    return out;
  }
}
