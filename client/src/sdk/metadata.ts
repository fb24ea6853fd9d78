/**
 * Partition counts of topics, cached: the producer needs one per record (to partition keys) and
 * the consumer one per subscription. Counts only grow (api.md § Topics), so a cached count is
 * at worst too small; entries expire after `maxAgeMs` (Kafka's metadata.max.age.ms) to pick up
 * growth, and concurrent loads of one topic share a request.
 */
import type { Admin } from "./admin.js";

export class TopicMetadata {
  private readonly cache = new Map<string, { partitions: number; loadedAt: number }>();
  private readonly loading = new Map<string, Promise<number>>();

  constructor(
    private readonly admin: Pick<Admin, "describeTopic">,
    private readonly maxAgeMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached count if fresh, else undefined (the caller then awaits `load`). */
  cached(topic: string): number | undefined {
    const hit = this.cache.get(topic);
    return hit && this.now() - hit.loadedAt < this.maxAgeMs ? hit.partitions : undefined;
  }

  /**
   * The topic's partition count, from the cache when fresh.
   *
   * @example
   * const n = metadata.cached(topic) ?? (await metadata.load(topic));
   */
  load(topic: string): Promise<number> {
    const fresh = this.cached(topic);
    if (fresh !== undefined) return Promise.resolve(fresh);
    let pending = this.loading.get(topic);
    if (!pending) {
      pending = this.admin.describeTopic(topic).then(
        (d) => {
          this.cache.set(topic, { partitions: d.partitionCount, loadedAt: this.now() });
          this.loading.delete(topic);
          return d.partitionCount;
        },
        (error: unknown) => {
          this.loading.delete(topic);
          throw error;
        },
      );
      this.loading.set(topic, pending);
    }
    return pending;
  }

  /** Forgets a topic (after `partition_not_found`: it grew, or was recreated). */
  invalidate(topic: string): void {
    this.cache.delete(topic);
  }
}
