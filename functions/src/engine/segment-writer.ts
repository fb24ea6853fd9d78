/**
 * Writes one flush: every pending append, whatever its topic or partition, goes into ONE segment
 * object (one S3 PUT amortised over all partitions), then each topic touched is committed with one
 * commit record (committer.ts), the topics in parallel. Acknowledgement waits for both the PUT and
 * the commit.
 */
import { randomBytes } from "node:crypto";
import { FloeError } from "../../../client/src/errors.js";
import type { Clock } from "../ports/clock.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { AppendOutcome, PartitionAppend } from "./append-types.js";
import { addSequence, type PlacedAppend, SEQUENCE_MODULUS } from "./commit-plan.js";
import type { PartitionGroup as CommitGroup, CommitResult, Committer, CrashHook } from "./committer.js";
import { PartitionSequencer } from "./partition-sequencer.js";
import { type ChunkInput, encodeSegment, newSegmentKey } from "./segment-format.js";

export interface FlushObserver {
  /** The object was stored: its bytes may be cached (hot tail) before any commit makes them visible. */
  onObjectWritten?(segmentKey: string, bytes: Uint8Array): void;
  /** A partition's commit finished (its head and entries are known). */
  onPartitionCommitted?(topicId: string, partition: number, result: CommitResult): void;
}

export interface SegmentWriterOptions {
  objects: ObjectStore;
  committer: Committer;
  clock: Clock;
  writerId: string;
  crashHook?: CrashHook;
  observer?: FlushObserver;
  randomHex?: () => string;
}

export interface FlushStats {
  objectPuts: number;
  partitionsCommitted: number;
}

export class SegmentWriter {
  readonly stats: FlushStats = { objectPuts: 0, partitionsCommitted: 0 };
  private readonly sequencer = new PartitionSequencer();

  constructor(private readonly options: SegmentWriterOptions) {}

  /** Writes all appends in one object and commits them; outcomes come back in input order. */
  async flush(appends: PartitionAppend[]): Promise<AppendOutcome[]> {
    if (appends.length === 0) return [];
    const groups = groupByPartition(appends);
    const chunks: ChunkInput[] = groups.map((g) => ({
      topicId: g.topicId,
      partition: g.partition,
      pieces: g.indexes.map((i) => appends[i]!.payload),
      recordCount: g.indexes.reduce((n, i) => n + appends[i]!.recordCount, 0),
      batchCount: g.indexes.reduce((n, i) => n + appends[i]!.batchCount, 0),
    }));
    const now = this.options.clock.now();
    const segmentKey = newSegmentKey(now, this.options.randomHex?.() ?? randomBytes(16).toString("hex"));
    const segment = encodeSegment(chunks, this.options.writerId, now);
    // One chain per topic: this process's flushes commit to a topic in the order they started.
    const topics = new Map<string, number[]>();
    groups.forEach((g, gi) => {
      const list = topics.get(g.topicId);
      if (list) list.push(gi);
      else topics.set(g.topicId, [gi]);
    });
    const slots = [...topics.keys()].map((topicId) => this.sequencer.enter(topicId));

    try {
      await this.options.objects.put(segmentKey, segment.bytes);
    } catch (error) {
      for (const slot of slots) slot.done();
      // Nothing references the object yet, so no append took effect: safe to retry.
      const failure = new FloeError(
        "unavailable",
        `segment write failed: ${error instanceof Error ? error.message : String(error)}`,
        {},
        1,
      );
      return appends.map(() => ({ ok: false, error: failure }));
    }
    this.stats.objectPuts++;
    this.options.observer?.onObjectWritten?.(segmentKey, segment.bytes);
    try {
      await this.options.crashHook?.("after-s3-put");
    } catch (error) {
      for (const slot of slots) slot.done();
      throw error;
    }

    const outcomes: AppendOutcome[] = new Array(appends.length);
    await Promise.all(
      [...topics].map(async ([topicId, members], ti) => {
        const commitGroups: CommitGroup[] = members.map((gi) => {
          const g = groups[gi]!;
          const chunk = segment.chunks[gi]!;
          return {
            partition: g.partition,
            placed: g.indexes.map(
              (i, k): PlacedAppend => ({
                append: appends[i]!,
                pos: chunk.piecePositions[k]!,
                len: appends[i]!.payload.byteLength,
              }),
            ),
          };
        });
        const slot = slots[ti]!;
        let results: CommitResult[];
        try {
          await slot.ready;
          results = await this.options.committer.commitTopic(topicId, commitGroups, segmentKey);
        } finally {
          slot.done();
        }
        members.forEach((gi, k) => {
          const g = groups[gi]!;
          const result = results[k]!;
          this.stats.partitionsCommitted++;
          this.options.observer?.onPartitionCommitted?.(topicId, g.partition, result);
          g.indexes.forEach((i, j) => {
            outcomes[i] = result.outcomes[j]!;
          });
        });
      }),
    );
    return outcomes;
  }
}

interface PartitionGroup {
  topicId: string;
  partition: number;
  /** Indexes into the flush's appends, in arrival order (order within a partition is kept). */
  indexes: number[];
}

function groupByPartition(appends: PartitionAppend[]): PartitionGroup[] {
  const groups = new Map<string, PartitionGroup>();
  appends.forEach((a, i) => {
    const id = `${a.topic.topicId}/${a.partition}`;
    let group = groups.get(id);
    if (!group) {
      group = { topicId: a.topic.topicId, partition: a.partition, indexes: [] };
      groups.set(id, group);
    }
    group.indexes.push(i);
  });
  for (const group of groups.values()) orderProducerBatches(group.indexes, appends);
  return [...groups.values()];
}

/**
 * A pipelining idempotent producer's requests travel on separate HTTP connections and may reach
 * the agent out of order (Kafka keeps them in order on one TCP connection). When they meet in one
 * flush, put each producer's appends back in sequence order — in the slots its appends already
 * hold, so everyone else keeps their arrival order — instead of refusing the early arrival with
 * out_of_order_sequence and making the client resend.
 */
export function orderProducerBatches(indexes: number[], appends: PartitionAppend[]): void {
  const byProducer = new Map<string, number[]>();
  indexes.forEach((appendIndex, slot) => {
    const producer = appends[appendIndex]!.producer;
    if (!producer) return;
    const key = `${producer.id}\u0000${producer.epoch}`;
    byProducer.set(key, [...(byProducer.get(key) ?? []), slot]);
  });
  for (const slots of byProducer.values()) {
    if (slots.length < 2) continue;
    const ref = appends[indexes[slots[0]!]!]!;
    const sorted = slots
      .map((slot) => indexes[slot]!)
      // Signed distance from the first one's sequence on the circle (sequences wrap at 2^31).
      .sort((a, b) => sequenceOffset(appends[a]!, ref) - sequenceOffset(appends[b]!, ref));
    slots.forEach((slot, k) => {
      indexes[slot] = sorted[k]!;
    });
  }
}

/** How far `append`'s first sequence is after `ref`'s, in -2^30..2^30 (sequences wrap at 2^31). */
function sequenceOffset(append: PartitionAppend, ref: PartitionAppend): number {
  const d = addSequence(append.producer!.firstSequence, -ref.producer!.firstSequence);
  return d >= SEQUENCE_MODULUS / 2 ? d - SEQUENCE_MODULUS : d;
}
