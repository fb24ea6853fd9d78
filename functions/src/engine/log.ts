/**
 * FloeLog: the engine's one entry point, shared by the container agent, the Lambda handlers and
 * the tests. It owns no I/O of its own: S3, DynamoDB and the clock come in through the ports.
 */
import { randomUUID } from "node:crypto";
import { FloeError } from "../../../client/src/errors.js";
import { decodeRecordBatches } from "../../../client/src/format/index.js";
import type { Clock } from "../ports/clock.js";
import type { ManifestStore } from "../ports/manifest-store.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { AppendOutcome, PartitionAppend } from "./append-types.js";
import { ByteLru } from "./byte-lru.js";
import { ChainIndex } from "./chain-index.js";
import { DEFAULT_PLAN_LIMITS, type ProducerLimits } from "./commit-plan.js";
import { Committer, type CrashHook, DEFAULT_RECORD_BYTES_MAX } from "./committer.js";
import { EntryCache } from "./entry-cache.js";
import { HotTail } from "./hot-tail.js";
import { partitionPk } from "./keys.js";
import type { IndexEntry, PartitionHead, TopicMeta } from "./model.js";
import { RangeCache } from "./range-cache.js";
import { Reader, type ReadResult } from "./reader.js";
import { MAP_ENTRY_BYTES, retainedBytes, stringBytes } from "./retained-size.js";
import { type FlushObserver, SegmentWriter } from "./segment-writer.js";
import { partitionHeadBytes } from "./topic-state.js";
import { TopicStore } from "./topic-store.js";

export interface EngineLimits {
  /** A commit that has not landed after this long is answered `unavailable`. */
  commitTimeoutMs: number;
  /** Bytes of fetched ranges kept in the LRU. */
  rangeCacheBytes: number;
  /** Bytes of just-written segment objects kept for tailing readers. */
  hotTailBytes: number;
  /** Bytes of index entries kept per partition (entry-cache.ts). */
  entryCacheBytes: number;
  /** Bytes of partition heads kept for fetches (`headCacheMs`) and for planning commits (the committer's own heads, 3/4, and materialised entry keys, 1/4): each of the two gets this budget. */
  headCacheBytes: number;
  /** Bytes of topic metadata (and of "no such topic" answers) kept for `topicCacheTtlMs`. */
  topicCacheBytes: number;
  /** How long topic metadata may be served from memory. */
  topicCacheTtlMs: number;
  /**
   * How old a partition head may be when a fetch or tail uses it instead of reading the
   * manifest (0 = always read). Heads this process commits or polls refresh it at once, so a
   * tailing consumer of the writing agent is served from memory; a reader on another agent may
   * see a commit up to this much later. A cached head is always a committed one: a stale head
   * only hides the newest records, it never shows uncommitted ones.
   */
  headCacheMs: number;
  producer: ProducerLimits;
  /** Byte budget of one commit record item (committer.ts); a flush needing more uses several. */
  recordBytesMax: number;
}

export const DEFAULT_ENGINE_LIMITS: EngineLimits = {
  commitTimeoutMs: 10_000,
  rangeCacheBytes: 256 * 1024 * 1024,
  hotTailBytes: 64 * 1024 * 1024,
  entryCacheBytes: 64 * 1024 * 1024,
  headCacheBytes: 16 * 1024 * 1024,
  topicCacheBytes: 4 * 1024 * 1024,
  topicCacheTtlMs: 2_000,
  headCacheMs: 0,
  producer: DEFAULT_PLAN_LIMITS.producer,
  recordBytesMax: DEFAULT_RECORD_BYTES_MAX,
};

export interface FloeLogOptions {
  objects: ObjectStore;
  manifest: ManifestStore;
  clock: Clock;
  limits?: Partial<EngineLimits>;
  /** Names this process in segment footers (repair/GC). */
  writerId?: string;
  crashHook?: CrashHook;
  random?: () => number;
  /** Where unexpected exceptions of a partition's commit are reported (stderr by default). */
  logError?: (error: unknown) => void;
}

/** Where a fetch starts: exactly one of these (api.md § Fetch). */
export type FetchStart = { offset: number } | { timestamp: number } | { tailOffset: number };

export interface FetchOptions {
  maxBytes: number;
  maxRecords: number;
  /** Out-of-range starts are moved to the nearest bound instead of answered 416. */
  clamp: boolean;
}

export interface PartitionTail {
  highWatermark: number;
  logStartOffset: number;
  lastTimestamp: number;
}

/** Hears every head this process learns of (its own commits and every head read). */
export type HeadListener = (head: PartitionHead) => void;

export class FloeLog {
  readonly topics: TopicStore;
  readonly committer: Committer;
  readonly writer: SegmentWriter;
  readonly reader: Reader;
  readonly index: ChainIndex;
  readonly ranges: RangeCache;
  readonly hotTail: HotTail;
  readonly limits: EngineLimits;
  private readonly entries: EntryCache;
  private readonly headListeners = new Set<HeadListener>();
  /** The newest head seen per partition: a cache (a miss reads the manifest). */
  private readonly heads: ByteLru<string, { head: PartitionHead; atMs: number }>;

  constructor(private readonly options: FloeLogOptions) {
    this.limits = { ...DEFAULT_ENGINE_LIMITS, ...options.limits };
    this.ranges = new RangeCache(this.limits.rangeCacheBytes);
    this.hotTail = new HotTail(this.limits.hotTailBytes);
    this.entries = new EntryCache(this.limits.entryCacheBytes);
    this.heads = new ByteLru(
      this.limits.headCacheBytes,
      (key, value) =>
        MAP_ENTRY_BYTES + stringBytes(key) + retainedBytes(value.atMs) + partitionHeadBytes(value.head),
    );
    this.topics = new TopicStore({
      manifest: options.manifest,
      clock: options.clock,
      cacheTtlMs: this.limits.topicCacheTtlMs,
      cacheBytes: this.limits.topicCacheBytes,
    });
    this.committer = new Committer({
      manifest: options.manifest,
      objects: options.objects,
      clock: options.clock,
      commitTimeoutMs: this.limits.commitTimeoutMs,
      cacheBytes: this.limits.headCacheBytes,
      producerLimits: this.limits.producer,
      recordBytesMax: this.limits.recordBytesMax,
      ...(options.logError ? { logError: options.logError } : {}),
      ...(options.crashHook ? { crashHook: options.crashHook } : {}),
      ...(options.random ? { random: options.random } : {}),
      onHead: (head) => {
        // A tombstoned head: the topic we cached was deleted; the caller's retry must look again.
        if (head.deleted) this.topics.forgetIncarnation(head.topicId);
        this.rememberHead(head);
        // Entries of every record this process learns of, its own commits and the ones it folds.
        this.entries.add(partitionPk(head.topicId, head.partition), head.pending);
        for (const listener of this.headListeners) listener(head);
      },
    });
    const observer: FlushObserver = {
      onObjectWritten: (key, bytes) => this.hotTail.add(key, bytes),
    };
    this.writer = new SegmentWriter({
      objects: options.objects,
      committer: this.committer,
      clock: options.clock,
      writerId: options.writerId ?? `floe-${randomUUID().slice(0, 8)}`,
      observer,
      ...(options.crashHook ? { crashHook: options.crashHook } : {}),
    });
    this.index = new ChainIndex(this.committer);
    this.reader = new Reader({
      objects: options.objects,
      index: this.index,
      entries: this.entries,
      ranges: this.ranges,
      hotTail: this.hotTail,
    });
  }

  /** Bytes each cache holds and may hold (tests, metrics): every one is bounded in bytes. */
  cacheSizes(): Record<string, { bytes: number; capacityBytes: number }> {
    const size = (cache: { sizeBytes: number; capacityBytes: number }) => ({
      bytes: cache.sizeBytes,
      capacityBytes: cache.capacityBytes,
    });
    return {
      ranges: size(this.ranges),
      hotTail: size(this.hotTail),
      entries: size(this.entries),
      heads: size(this.heads),
      topics: this.topics.cacheSize(),
      ...this.committer.cacheSizes(),
    };
  }

  onHead(listener: HeadListener): () => void {
    this.headListeners.add(listener);
    return () => this.headListeners.delete(listener);
  }

  /** Keeps the newest head seen per partition (bounded: the oldest entries go first). */
  private rememberHead(head: PartitionHead): void {
    const key = partitionPk(head.topicId, head.partition);
    const prior = this.heads.peek(key);
    if (prior && prior.head.version > head.version) return;
    this.heads.set(key, { head, atMs: this.options.clock.now() });
  }

  /** Resolves once background work of acknowledged commits (checkpoint writes) is done. */
  settle(): Promise<void> {
    return this.committer.settle();
  }

  /** Writes the appends as one segment object and commits each partition; one outcome per append. */
  append(appends: PartitionAppend[]): Promise<AppendOutcome[]> {
    return this.writer.flush(appends);
  }

  async requirePartition(topicName: string, partition: number): Promise<TopicMeta> {
    const topic = await this.topics.require(topicName);
    if (!Number.isInteger(partition) || partition < 0 || partition >= topic.partitions) {
      // A partition just added by another agent may be missing from a cached topic: look again.
      const fresh = await this.topics.get(topicName, true);
      if (fresh && Number.isInteger(partition) && partition >= 0 && partition < fresh.partitions)
        return fresh;
      throw new FloeError(
        "partition_not_found",
        `topic ${topicName} has partitions 0..${topic.partitions - 1}, not ${partition}`,
        {
          topic: topicName,
          partitions: topic.partitions,
        },
      );
    }
    return topic;
  }

  /** The partition's head: from memory when younger than `maxAgeMs`, else a consistent read. */
  async head(topic: TopicMeta, partition: number, maxAgeMs = 0): Promise<PartitionHead> {
    const cached = this.heads.get(partitionPk(topic.topicId, partition));
    const head =
      cached && maxAgeMs > 0 && this.options.clock.now() - cached.atMs <= maxAgeMs
        ? cached.head
        : await this.committer.readHead(topic.topicId, partition);
    if (head.deleted) {
      this.topics.forgetIncarnation(topic.topicId);
      throw new FloeError("topic_not_found", `topic ${topic.name} was deleted`, { topic: topic.name });
    }
    return head;
  }

  /**
   * Deletes the partition's records below `beforeOffset` (Kafka's DeleteRecords): the log start
   * moves up by a commit of its own (committer.ts trimPartition); reads below it answer
   * offset_out_of_range from then on, and offsets never restart. `beforeOffset` past the high
   * watermark is refused; the storage is freed later by maintenance (issue 12).
   */
  async trim(topicName: string, partition: number, beforeOffset: number): Promise<PartitionTail> {
    const topic = await this.requirePartition(topicName, partition);
    const head = await this.head(topic, partition);
    if (!Number.isSafeInteger(beforeOffset) || beforeOffset < 0 || beforeOffset > head.nextOffset) {
      throw new FloeError(
        "offset_out_of_range",
        `cannot delete records before ${beforeOffset}: the partition holds ${head.logStartOffset}..${head.nextOffset}`,
        { log_start_offset: head.logStartOffset, high_watermark: head.nextOffset },
      );
    }
    const after = await this.committer.trimPartition(topic.topicId, partition, beforeOffset);
    if (after.deleted)
      throw new FloeError("topic_not_found", `topic ${topic.name} was deleted`, { topic: topic.name });
    return {
      highWatermark: after.nextOffset,
      logStartOffset: after.logStartOffset,
      lastTimestamp: after.lastTimestamp,
    };
  }

  async tail(topicName: string, partition: number): Promise<PartitionTail> {
    const topic = await this.requirePartition(topicName, partition);
    const head = await this.head(topic, partition, this.limits.headCacheMs);
    return {
      highWatermark: head.nextOffset,
      logStartOffset: head.logStartOffset,
      lastTimestamp: head.lastTimestamp,
    };
  }

  async fetch(
    topicName: string,
    partition: number,
    start: FetchStart,
    options: FetchOptions,
  ): Promise<ReadResult> {
    const topic = await this.requirePartition(topicName, partition);
    const head = await this.head(topic, partition, this.limits.headCacheMs);
    let offset: number;
    if ("offset" in start) offset = start.offset;
    else if ("tailOffset" in start)
      offset = Math.max(head.logStartOffset, head.nextOffset - start.tailOffset);
    else offset = await this.offsetForTimestamp(head, start.timestamp);
    if (offset < head.logStartOffset || offset > head.nextOffset) {
      if (!options.clamp) {
        throw new FloeError(
          "offset_out_of_range",
          `offset ${offset} is outside ${head.logStartOffset}..${head.nextOffset}`,
          {
            log_start_offset: head.logStartOffset,
            high_watermark: head.nextOffset,
          },
        );
      }
      offset = Math.min(Math.max(offset, head.logStartOffset), head.nextOffset);
    }
    return this.reader.read(head, offset, { maxBytes: options.maxBytes, maxRecords: options.maxRecords });
  }

  /**
   * Kafka's ListOffsets by timestamp: the first offset whose record timestamp is >= `timestamp`,
   * or the high watermark when there is none. The time index (time-index.ts) finds the one entry
   * that must hold the answer in at most ~log2(high watermark) Queries; only that entry is decoded.
   * docs/design/manifest.md § Time index says exactly what is returned when timestamps are not
   * monotone and records were removed by retention.
   */
  async offsetForTimestamp(head: PartitionHead, timestamp: number): Promise<number> {
    const candidate = await this.entryReaching(head, timestamp);
    if (!candidate) return head.nextOffset;
    const result = await this.reader.read(head, Math.max(candidate.baseOffset, head.logStartOffset), {
      maxBytes: Number.MAX_SAFE_INTEGER,
      maxRecords: candidate.recordCount,
    });
    for (const batch of result.batches) {
      if (batch.header.maxTimestamp < timestamp) continue;
      for (const decoded of decodeRecordBatches(batch.bytes)) {
        for (const record of decoded.records) {
          if (record.timestamp >= timestamp && record.offset >= head.logStartOffset) return record.offset;
        }
      }
    }
    // The records that lifted the running max to >= T are gone (below the log start): every live
    // record up to here is older than T, what follows is not known without a linear walk.
    return Math.min(candidate.lastOffset + 1, head.nextOffset);
  }

  /** F of the time index (chain-index.ts): the first live entry whose running max reaches `timestamp`. */
  private async entryReaching(head: PartitionHead, timestamp: number): Promise<IndexEntry | undefined> {
    const entry = await this.index.entryReaching(head, timestamp, head.logStartOffset);
    // The caller reads F next: cached, that read needs no second bisection.
    if (entry) this.entries.add(partitionPk(head.topicId, head.partition), [entry]);
    return entry;
  }

  /**
   * Kafka's ListOffsets MAX_TIMESTAMP (-3): the first record carrying the partition's largest
   * timestamp, or undefined for an empty partition. Walks the entries by their max timestamps,
   * then decodes only the entry that holds it.
   */
  async offsetOfMaxTimestamp(
    head: PartitionHead,
  ): Promise<{ offset: number; timestamp: number } | undefined> {
    if (head.nextOffset <= head.logStartOffset) return undefined;
    // The partition's max timestamp is its running max; the first entry whose running max reaches
    // it holds the first record carrying it (chain-index.ts), whatever the log's length.
    const best = await this.entryReaching(head, head.lastTimestamp);
    if (!best) return undefined;
    const result = await this.reader.read(head, Math.max(best.baseOffset, head.logStartOffset), {
      maxBytes: Number.MAX_SAFE_INTEGER,
      maxRecords: best.recordCount,
    });
    for (const batch of result.batches) {
      if (batch.header.maxTimestamp < best.maxTimestamp) continue;
      for (const decoded of decodeRecordBatches(batch.bytes)) {
        for (const record of decoded.records) {
          if (record.timestamp === best.maxTimestamp && record.offset >= head.logStartOffset)
            return { offset: record.offset, timestamp: record.timestamp };
        }
      }
    }
    return { offset: best.lastOffset, timestamp: best.maxTimestamp };
  }
}
