/**
 * Topic metadata in the manifest: create, describe, grow, reconfigure, delete.
 *
 * A topic item lives through `live` → `deleting` → `deleted` (model.ts TopicState); each step is
 * one conditional write, and deletion tombstones the incarnation's topic head (its commit chain)
 * between the two, so that an agent still caching the topic can never have an append acknowledged into a
 * deleted incarnation (docs/design/manifest.md § Topic deletion).
 */
import { randomUUID } from "node:crypto";
import { FloeError } from "../../../client/src/errors.js";
import type { Clock } from "../ports/clock.js";
import { ConditionFailedError, type ManifestStore } from "../ports/manifest-store.js";
import { ByteLru } from "./byte-lru.js";
import { isTombstonedHead, tombstoneHeadItem } from "./committer.js";
import { chainPk, HEAD_SK, TOPICS_PK, topicSk } from "./keys.js";
import {
  type TopicConfig,
  type TopicMeta,
  type TopicRecord,
  topicRecordFromItem,
  topicRecordToItem,
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

/** Conditional writes tried before a contended topic change answers `unavailable` (retriable). */
const TOPIC_ATTEMPTS = 5;
/** Head tombstone attempts: each lost race means a commit was linked, so this is generous. */
const TOMBSTONE_ATTEMPTS = 50;

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

  /**
   * Creates the topic. With `requestId` (the caller's `Floe-Request-Id`) a retry of a create that
   * already succeeded answers the topic again instead of `topic_exists`, if its settings match.
   */
  async create(name: string, partitions: number, config?: unknown, requestId?: string): Promise<TopicMeta> {
    validateTopicName(name);
    validatePartitionCount(partitions);
    const settings = mergeTopicConfig(DEFAULT_TOPIC_CONFIG, config);
    const topicId = randomUUID();
    // Heads first, under the new (still invisible) topic id; the topic item makes them visible
    // atomically. A crash in between leaves only unreachable heads, never a half-made topic.
    for (let attempt = 0; attempt < TOPIC_ATTEMPTS; attempt++) {
      const existing = await this.readRecord(name);
      if (existing?.state === "live") {
        const ours = existing.meta.topicId === topicId; // our put landed, its reply was lost
        const retried =
          requestId !== undefined &&
          existing.createRequestId === requestId &&
          existing.meta.partitions === partitions &&
          sameConfig(existing.meta.config, settings);
        if (ours || retried) return this.remember(existing.meta);
        throw new FloeError("topic_exists", `topic ${name} already exists`, { topic: name });
      }
      if (existing?.state === "deleting") {
        // An older incarnation's delete is half done (crashed or still running): finish it first,
        // so that no head of that incarnation can still take appends once the name is reused.
        await this.finishDelete(existing);
        continue;
      }
      const topic: TopicMeta = {
        name,
        topicId,
        partitions,
        config: settings,
        createdAt: this.options.clock.now(),
        version: (existing?.meta.version ?? 0) + 1,
      };
      const record: TopicRecord = {
        meta: topic,
        state: "live",
        ...(requestId !== undefined ? { createRequestId: requestId } : {}),
        ...(existing?.deleteRequestId !== undefined
          ? { priorDeleteRequestId: existing.deleteRequestId }
          : {}),
      };
      try {
        // Over a tombstone: conditional on its version, so two creates racing over it cannot both win.
        await this.options.manifest.put(
          topicRecordToItem(record),
          existing ? { kind: "version", version: existing.meta.version } : { kind: "absent" },
        );
        return this.remember(topic);
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        // Somebody wrote the item (or our own put landed): read it again and decide.
      }
    }
    throw new FloeError("unavailable", `topic ${name} is being changed concurrently; try again`, {}, 1);
  }

  /** Undefined when the topic does not exist (or is being deleted). `fresh` bypasses the cache. */
  async get(name: string, fresh = false): Promise<TopicMeta | undefined> {
    const cached = this.cache.get(name);
    if (!fresh && cached && this.options.clock.now() - cached.at < this.options.cacheTtlMs)
      return cached.topic;
    const record = await this.readRecord(name);
    const topic = record?.state === "live" ? record.meta : undefined;
    this.cache.set(name, { topic, at: this.options.clock.now() });
    return topic;
  }

  async require(name: string): Promise<TopicMeta> {
    validateTopicName(name);
    const topic = await this.get(name);
    if (!topic) throw new FloeError("topic_not_found", `topic ${name} does not exist`, { topic: name });
    return topic;
  }

  /**
   * Drops cached lookups of the incarnation `topicId`: called when a tombstoned head shows it was
   * deleted, so the next lookup (the caller's retry) reads the topic item again.
   */
  forgetIncarnation(topicId: string): void {
    for (const [name, entry] of this.cache) if (entry.topic?.topicId === topicId) this.cache.delete(name);
  }

  async list(): Promise<TopicMeta[]> {
    const topics: TopicMeta[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.options.manifest.query(TOPICS_PK, {
        prefix: "t#",
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items) {
        const record = topicRecordFromItem(item);
        if (record.state === "live") topics.push(record.meta);
      }
      cursor = page.cursor;
    } while (cursor);
    return topics;
  }

  /** Grows the partition count and/or changes config; the partition count never shrinks. */
  async alter(name: string, changes: { partitions?: number; config?: unknown }): Promise<TopicMeta> {
    for (let attempt = 0; attempt < TOPIC_ATTEMPTS; attempt++) {
      const record = await this.readRecord(name);
      if (record?.state !== "live")
        throw new FloeError("topic_not_found", `topic ${name} does not exist`, { topic: name });
      const current = record.meta;
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
      const next: TopicMeta = { ...current, partitions, config, version: current.version + 1 };
      try {
        // Version-conditional: a delete that marked the topic `deleting` meanwhile makes this fail,
        // so a partition added here can never escape that delete's tombstones.
        await this.options.manifest.put(topicRecordToItem({ ...record, meta: next }), {
          kind: "version",
          version: current.version,
        });
        return this.remember(next);
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    throw new FloeError("unavailable", `topic ${name} is being changed concurrently; try again`, {}, 1);
  }

  /**
   * Deletes the topic: marks its item `deleting`, tombstones every partition head of the
   * incarnation, then turns the item into a `deleted` tombstone. Entries and objects stay under
   * the old topic id, unreachable, until maintenance collects them; a topic created again under
   * the same name gets a new id and starts at offset 0.
   *
   * With `requestId` (the caller's `Floe-Request-Id`) a retry of a delete that already succeeded
   * answers success instead of `topic_not_found`. A delete that finds the topic `deleting` (a
   * crashed or concurrent delete) finishes it and succeeds.
   */
  async delete(name: string, requestId?: string): Promise<void> {
    validateTopicName(name);
    for (let attempt = 0; attempt < TOPIC_ATTEMPTS; attempt++) {
      const record = await this.readRecord(name);
      const notFound = new FloeError("topic_not_found", `topic ${name} does not exist`, { topic: name });
      if (!record) throw notFound;
      const retried = requestId !== undefined;
      if (record.state === "deleted") {
        if (retried && record.deleteRequestId === requestId) return;
        throw notFound;
      }
      if (record.state === "live") {
        // Our delete finished and the name was created again since: deleting the new topic would be wrong.
        if (retried && record.priorDeleteRequestId === requestId) return;
        const marked: TopicRecord = {
          ...withoutDeleteId(record),
          meta: { ...record.meta, version: record.meta.version + 1 },
          state: "deleting",
          ...(requestId !== undefined ? { deleteRequestId: requestId } : {}),
        };
        try {
          // Version-conditional: an alter that grew the topic meanwhile must be seen, or its new
          // partitions would escape the tombstones below.
          await this.options.manifest.put(topicRecordToItem(marked), {
            kind: "version",
            version: record.meta.version,
          });
        } catch (error) {
          if (!(error instanceof ConditionFailedError)) throw error;
          continue;
        }
        await this.finishDelete(marked);
        return;
      }
      await this.finishDelete(record);
      return;
    }
    throw new FloeError("unavailable", `topic ${name} changed while being deleted; try again`, {}, 1);
  }

  /** Tombstones every head of a `deleting` incarnation, then turns its item into a `deleted` tombstone. */
  private async finishDelete(record: TopicRecord): Promise<void> {
    const { meta } = record;
    this.cache.set(meta.name, { topic: undefined, at: this.options.clock.now() });
    await this.tombstoneHead(meta.topicId);
    const done: TopicRecord = {
      ...record,
      meta: { ...meta, version: meta.version + 1 },
      state: "deleted",
    };
    try {
      await this.options.manifest.put(topicRecordToItem(done), { kind: "version", version: meta.version });
    } catch (error) {
      // From `deleting` the only move is to `deleted`: somebody else finished this delete.
      if (!(error instanceof ConditionFailedError)) throw error;
    }
    this.forgetIncarnation(meta.topicId);
    this.cache.set(meta.name, { topic: undefined, at: this.options.clock.now() });
  }

  /**
   * Makes the incarnation's topic head a tombstone (a no-op when it already is one): a
   * version-conditional write, so it lands between two links, and no link can follow it.
   *
   *   stale agent A (caches topic)       topic head (v=7, seq=41)          delete (agent B)
   *   claim c#42 ─────────────────────────▶ ok (a claim alone commits nothing)
   *                                        ◀──── put head v=8 deleted if v=7: ok
   *   put head v=8 seq=42 if v=7: FAILS ──▶
   *   re-read: deleted, seq 41 ───────────▶ c#42 never linked: topic_not_found, topic cache dropped
   * Without the tombstone A's link would succeed and its records would be acknowledged into an
   * incarnation no reader can reach any more. A topic with no commit yet has no head: the
   * tombstone is put-if-absent, so A's first link (also put-if-absent) fails the same way.
   */
  private async tombstoneHead(topicId: string): Promise<void> {
    for (let attempt = 0; attempt < TOMBSTONE_ATTEMPTS; attempt++) {
      const item = await this.options.manifest.get(chainPk(topicId), HEAD_SK);
      if (isTombstonedHead(item)) return;
      try {
        await this.options.manifest.put(
          tombstoneHeadItem(topicId, item),
          item ? { kind: "version", version: item.version } : { kind: "absent" },
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
        // A commit was linked (or our own write landed): read it again.
      }
    }
    // The topic stays `deleting` (invisible; a create under its name finishes the delete first).
    throw new FloeError(
      "unavailable",
      "the topic kept changing while being deleted; try the delete again",
      {},
      1,
    );
  }

  private async readRecord(name: string): Promise<TopicRecord | undefined> {
    const item = await this.options.manifest.get(TOPICS_PK, topicSk(name));
    return item ? topicRecordFromItem(item) : undefined;
  }

  private remember(topic: TopicMeta): TopicMeta {
    this.cache.set(topic.name, { topic, at: this.options.clock.now() });
    return topic;
  }
}

function withoutDeleteId(record: TopicRecord): TopicRecord {
  const { deleteRequestId: _dropped, ...rest } = record;
  return rest;
}

/** Topic configs are flat maps of numbers and strings: equal when every key has the same value. */
function sameConfig(a: TopicConfig, b: TopicConfig): boolean {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  const ra = a as unknown as Record<string, unknown>;
  const rb = b as unknown as Record<string, unknown>;
  return ka.length === kb.length && ka.every((k) => ra[k] === rb[k]);
}
