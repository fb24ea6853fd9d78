/** Topic metadata in the manifest: create, describe, grow, reconfigure, delete. */
import { randomUUID } from "node:crypto";
import { FloeError } from "../../../client/src/errors.js";
import type { Clock } from "../ports/clock.js";
import { ConditionFailedError, type ManifestStore } from "../ports/manifest-store.js";
import { ByteLru } from "./byte-lru.js";
import { TOPICS_PK, topicSk } from "./keys.js";
import {
  emptyHead,
  headToItem,
  type TopicConfig,
  type TopicMeta,
  topicFromItem,
  topicToItem,
} from "./model.js";
import { MAP_ENTRY_BYTES, retainedBytes, stringBytes } from "./retained-size.js";
import {
  DEFAULT_TOPIC_CONFIG,
  mergeTopicConfig,
  validatePartitionCount,
  validateTopicName,
} from "./topic-config.js";

export interface TopicStoreOptions {
  manifest: ManifestStore;
  clock: Clock;
  /** How long a topic lookup may be served from memory (0 = always read). */
  cacheTtlMs: number;
  /** Byte budget of the cache (least recently used out first; a miss reads the manifest). */
  cacheBytes: number;
}

export class TopicStore {
  /** Keyed by client-supplied names, answers "no such topic" included: bounded in bytes. */
  private readonly cache: ByteLru<string, { topic: TopicMeta | undefined; at: number }>;

  constructor(private readonly options: TopicStoreOptions) {
    this.cache = new ByteLru(
      options.cacheBytes,
      (name, value) => MAP_ENTRY_BYTES + stringBytes(name) + retainedBytes(value),
    );
  }

  cacheSize(): { bytes: number; capacityBytes: number } {
    return { bytes: this.cache.sizeBytes, capacityBytes: this.cache.capacityBytes };
  }

  async create(name: string, partitions: number, config?: unknown): Promise<TopicMeta> {
    validateTopicName(name);
    validatePartitionCount(partitions);
    const topic: TopicMeta = {
      name,
      topicId: randomUUID(),
      partitions,
      config: mergeTopicConfig(DEFAULT_TOPIC_CONFIG, config),
      createdAt: this.options.clock.now(),
      version: 1,
    };
    // Heads first, under the new (still invisible) topic id; the topic item makes them visible
    // atomically. A crash in between leaves only unreachable heads, never a half-made topic.
    await this.createHeads(topic.topicId, 0, partitions);
    try {
      await this.options.manifest.put(topicToItem(topic), { kind: "absent" });
    } catch (error) {
      if (error instanceof ConditionFailedError)
        throw new FloeError("topic_exists", `topic ${name} already exists`, { topic: name });
      throw error;
    }
    this.cache.set(name, { topic, at: this.options.clock.now() });
    return topic;
  }

  /** Undefined when the topic does not exist. `fresh` bypasses the cache. */
  async get(name: string, fresh = false): Promise<TopicMeta | undefined> {
    const cached = this.cache.get(name);
    if (!fresh && cached && this.options.clock.now() - cached.at < this.options.cacheTtlMs)
      return cached.topic;
    const item = await this.options.manifest.get(TOPICS_PK, topicSk(name));
    const topic = item ? topicFromItem(item) : undefined;
    this.cache.set(name, { topic, at: this.options.clock.now() });
    return topic;
  }

  async require(name: string): Promise<TopicMeta> {
    validateTopicName(name);
    const topic = await this.get(name);
    if (!topic) throw new FloeError("topic_not_found", `topic ${name} does not exist`, { topic: name });
    return topic;
  }

  async list(): Promise<TopicMeta[]> {
    const topics: TopicMeta[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.options.manifest.query(TOPICS_PK, {
        prefix: "t#",
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items) topics.push(topicFromItem(item));
      cursor = page.cursor;
    } while (cursor);
    return topics;
  }

  /** Grows the partition count and/or changes config; the partition count never shrinks. */
  async alter(name: string, changes: { partitions?: number; config?: unknown }): Promise<TopicMeta> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const current = await this.get(name, true);
      if (!current) throw new FloeError("topic_not_found", `topic ${name} does not exist`, { topic: name });
      const partitions =
        changes.partitions === undefined ? current.partitions : validatePartitionCount(changes.partitions);
      if (partitions < current.partitions) {
        throw new FloeError(
          "invalid_request",
          `the partition count may only grow (it is ${current.partitions})`,
          { partitions: current.partitions },
        );
      }
      const config: TopicConfig = mergeTopicConfig(current.config, changes.config);
      await this.createHeads(current.topicId, current.partitions, partitions);
      const next: TopicMeta = { ...current, partitions, config, version: current.version + 1 };
      try {
        await this.options.manifest.put(topicToItem(next), { kind: "version", version: current.version });
        this.cache.set(name, { topic: next, at: this.options.clock.now() });
        return next;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    throw new FloeError("unavailable", `topic ${name} is being changed concurrently; try again`, {}, 1);
  }

  /**
   * Removes the topic. Its partitions' heads, entries and objects stay under the old topic id,
   * unreachable, until maintenance collects them; a topic created again under the same name gets a
   * new id and starts at offset 0.
   */
  async delete(name: string): Promise<void> {
    const current = await this.get(name, true);
    if (!current) throw new FloeError("topic_not_found", `topic ${name} does not exist`, { topic: name });
    try {
      await this.options.manifest.delete(TOPICS_PK, topicSk(name), {
        kind: "version",
        version: current.version,
      });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      throw new FloeError("unavailable", `topic ${name} changed while being deleted; try again`, {}, 1);
    }
    this.cache.set(name, { topic: undefined, at: this.options.clock.now() });
  }

  private async createHeads(topicId: string, from: number, to: number): Promise<void> {
    const CONCURRENCY = 16;
    for (let start = from; start < to; start += CONCURRENCY) {
      const batch: Promise<void>[] = [];
      for (let p = start; p < Math.min(to, start + CONCURRENCY); p++) {
        batch.push(
          this.options.manifest
            .put(headToItem({ ...emptyHead(topicId, p), version: 1 }), { kind: "absent" })
            .catch((error: unknown) => {
              // Already there: a retried alter or create; heads are never reset.
              if (!(error instanceof ConditionFailedError)) throw error;
            }),
        );
      }
      await Promise.all(batch);
    }
  }
}
