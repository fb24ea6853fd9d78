/**
 * What the coordinator needs to know about topics, behind a small interface: partition counts
 * (for the assignor), tails (for lag and resets) and timestamp lookups (for resets). The engine
 * provides it in production; tests may use the same engine over in-memory adapters.
 */
import { FloeError } from "../../../client/src/errors.js";
import type { FloeLog } from "../engine/log.js";

export interface PartitionTail {
  highWatermark: number;
  logStartOffset: number;
}

export interface PartitionDirectory {
  /** Partition count of each topic that exists (topics that do not are left out). */
  partitionCounts(topics: readonly string[]): Promise<Map<string, number>>;
  /**
   * The current incarnation (topicId) of each topic that exists, read fresh: committed offsets
   * are checked against it, so a topic deleted and created again does not inherit them.
   */
  topicIds(topics: readonly string[]): Promise<Map<string, string>>;
  /** Throws FloeError topic_not_found / partition_not_found. */
  tail(topic: string, partition: number): Promise<PartitionTail>;
  /** Kafka's ListOffsets by timestamp: the first offset at or after it, else the high watermark. */
  offsetForTimestamp(topic: string, partition: number, timestamp: number): Promise<number>;
}

/** The engine as a PartitionDirectory. Topic metadata comes from its cache (a few seconds old at most). */
export function logPartitionDirectory(log: FloeLog): PartitionDirectory {
  return {
    async partitionCounts(topics) {
      const metas = await Promise.all(topics.map((t) => log.topics.get(t)));
      const counts = new Map<string, number>();
      metas.forEach((meta, i) => {
        if (meta) counts.set(topics[i]!, meta.partitions);
      });
      return counts;
    },
    async topicIds(topics) {
      const metas = await Promise.all(topics.map((t) => log.topics.get(t, true)));
      const ids = new Map<string, string>();
      metas.forEach((meta, i) => {
        if (meta) ids.set(topics[i]!, meta.topicId);
      });
      return ids;
    },
    async tail(topic, partition) {
      const tail = await log.tail(topic, partition);
      return { highWatermark: tail.highWatermark, logStartOffset: tail.logStartOffset };
    },
    async offsetForTimestamp(topic, partition, timestamp) {
      const meta = await log.requirePartition(topic, partition);
      const head = await log.head(meta, partition);
      return log.offsetForTimestamp(head, timestamp);
    },
  };
}

/** True for the errors a vanished topic or partition produces (describe shows no lag for those). */
export function isMissingPartition(error: unknown): boolean {
  return (
    error instanceof FloeError && (error.code === "topic_not_found" || error.code === "partition_not_found")
  );
}
