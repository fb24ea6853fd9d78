/**
 * Topic delete and re-create against agents that still cache the old incarnation (trust issue:
 * acknowledged records lost after delete + re-create). Two engines share one manifest and one
 * bucket, as two agents do: A caches the topic, B deletes and re-creates it, A appends. Run over
 * the in-memory adapters and over dynalite + s3rver.
 */
import { describe, expect, it } from "vitest";
import { decodeRecordBatches } from "../../client/src/format/index.js";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import { appendFromBatches } from "../../functions/src/engine/batch-validation.js";
import { TOPICS_PK } from "../../functions/src/engine/keys.js";
import { FloeLog } from "../../functions/src/engine/log.js";
import { systemClock } from "../../functions/src/ports/clock.js";
import type {
  ManifestItem,
  ManifestStore,
  QueryOptions,
  WriteCondition,
} from "../../functions/src/ports/manifest-store.js";
import type { ObjectStore } from "../../functions/src/ports/object-store.js";
import { batchOf, CrashError } from "../support/engine-harness.js";
import { uniqueName, useStandIns } from "../support/standins.js";

interface Stores {
  manifest: ManifestStore;
  objects: ObjectStore;
}

/** Delegates to `inner`, but throws CrashError (nothing written) on the first put `crashOn` picks. */
class CrashingManifest implements ManifestStore {
  crashed = false;
  constructor(
    private readonly inner: ManifestStore,
    private readonly crashOn: (item: ManifestItem) => boolean,
  ) {}
  get(pk: string, sk: string) {
    return this.inner.get(pk, sk);
  }
  async put(item: ManifestItem, condition: WriteCondition) {
    if (!this.crashed && this.crashOn(item)) {
      this.crashed = true;
      throw new CrashError(`put ${item.pk}/${item.sk}`);
    }
    return this.inner.put(item, condition);
  }
  delete(pk: string, sk: string, condition?: WriteCondition) {
    return this.inner.delete(pk, sk, condition);
  }
  query(pk: string, options?: QueryOptions) {
    return this.inner.query(pk, options);
  }
}

/** An engine that keeps topic lookups for an hour: the stale agent of the scenario. */
function cachingLog(stores: Stores): FloeLog {
  return new FloeLog({ ...stores, clock: systemClock, limits: { topicCacheTtlMs: 3_600_000 } });
}

function freshLog(stores: Stores): FloeLog {
  return new FloeLog({ ...stores, clock: systemClock, limits: { topicCacheTtlMs: 0 } });
}

async function appendVia(log: FloeLog, name: string, value: string) {
  const topic = await log.topics.require(name); // from A's cache, as the produce route does
  const [outcome] = await log.append([appendFromBatches(topic, 0, batchOf([value], 1_000))]);
  return outcome!;
}

async function valuesOf(log: FloeLog, name: string): Promise<string[]> {
  const result = await log.fetch(
    name,
    0,
    { offset: 0 },
    { maxBytes: 1 << 20, maxRecords: 1000, clamp: false },
  );
  const decoder = new TextDecoder();
  return result.batches.flatMap((b) =>
    decodeRecordBatches(b.bytes).flatMap((d) => d.records.map((r) => decoder.decode(r.value!))),
  );
}

function incarnationSuite(name: string, stores: () => Promise<Stores>) {
  describe(`topic incarnations over ${name}`, () => {
    it("never acknowledges an append into a deleted incarnation; the retry lands in the new one", async () => {
      // Prepare: A caches the topic and has written to it (it also caches its own head).
      const s = await stores();
      const a = cachingLog(s);
      const b = freshLog(s);
      const topic = uniqueName("t");
      await b.topics.create(topic, 2);
      expect(await appendVia(a, topic, "old-1")).toMatchObject({ ok: true, baseOffset: 0 });

      // Act: B deletes and re-creates; A, still caching the old incarnation, appends.
      await b.topics.delete(topic);
      const again = await b.topics.create(topic, 2);
      const stale = await appendVia(a, topic, "lost?");
      const retry = await appendVia(a, topic, "new-1");

      // Assess
      expect(stale.ok).toBe(false);
      if (!stale.ok) expect(stale.error.code).toBe("topic_not_found");
      expect(retry).toMatchObject({ ok: true, baseOffset: 0 });
      expect((await a.topics.require(topic)).topicId).toBe(again.topicId);
      expect(await valuesOf(b, topic)).toEqual(["new-1"]);
      expect((await b.tail(topic, 0)).highWatermark).toBe(1);
    });

    it("answers reads of a deleted incarnation topic_not_found, also from an agent caching it", async () => {
      // Prepare
      const s = await stores();
      const a = cachingLog(s);
      const b = freshLog(s);
      const topic = uniqueName("t");
      await b.topics.create(topic, 1);
      expect(await appendVia(a, topic, "old-1")).toMatchObject({ ok: true });
      // Act
      await b.topics.delete(topic);
      // Assess
      await expect(valuesOf(a, topic)).rejects.toMatchObject({ code: "topic_not_found" });
      await expect(a.tail(topic, 0)).rejects.toMatchObject({ code: "topic_not_found" });
    });

    it("refuses an append from an agent that never wrote the partition (no cached head)", async () => {
      // Prepare
      const s = await stores();
      const a = cachingLog(s);
      const b = freshLog(s);
      const topic = uniqueName("t");
      await b.topics.create(topic, 1);
      await a.topics.require(topic);
      // Act
      await b.topics.delete(topic);
      await b.topics.create(topic, 1);
      const stale = await appendVia(a, topic, "lost?");
      // Assess
      expect(stale.ok).toBe(false);
      expect(await valuesOf(b, topic)).toEqual([]);
    });

    it("a delete that crashed after tombstoning some heads is finished by the next create", async () => {
      // Prepare: B's delete crashes on its last write (the `deleted` tombstone of the topic item).
      const s = await stores();
      const a = cachingLog(s);
      const topic = uniqueName("t");
      const crashing = new CrashingManifest(
        s.manifest,
        (item) => item.pk === TOPICS_PK && item.data.state === "deleted",
      );
      const b = freshLog({ ...s, manifest: crashing });
      await b.topics.create(topic, 3);
      expect(await appendVia(a, topic, "old-1")).toMatchObject({ ok: true });

      // Act
      await expect(b.topics.delete(topic)).rejects.toBeInstanceOf(CrashError);
      const halfDone = await freshLog(s).topics.get(topic, true);
      const staleDuring = await appendVia(a, topic, "during");
      const c = freshLog(s);
      const again = await c.topics.create(topic, 3);
      // A's refusal dropped its cached topic: its retry looks the topic up again.
      const retry = await appendVia(a, topic, "new-1");

      // Assess
      expect(crashing.crashed).toBe(true);
      expect(halfDone).toBeUndefined();
      expect(staleDuring.ok).toBe(false);
      expect(retry).toMatchObject({ ok: true, baseOffset: 0 });
      expect((await c.topics.require(topic)).topicId).toBe(again.topicId);
      expect(await valuesOf(c, topic)).toEqual(["new-1"]);
    });

    it("a delete that crashed before any head tombstone is finished before the name is reused", async () => {
      // Prepare: B's delete crashes on its first head tombstone (the topic is marked deleting).
      const s = await stores();
      const a = cachingLog(s);
      const topic = uniqueName("t");
      const crashing = new CrashingManifest(s.manifest, (item) => item.data.deleted === true);
      const b = freshLog({ ...s, manifest: crashing });
      await b.topics.create(topic, 1);
      await a.topics.require(topic);

      // Act
      await expect(b.topics.delete(topic)).rejects.toBeInstanceOf(CrashError);
      const c = freshLog(s);
      await c.topics.create(topic, 1);
      const stale = await appendVia(a, topic, "after");

      // Assess: the create tombstoned the old heads first, so A's stale append is refused.
      expect(crashing.crashed).toBe(true);
      expect(stale.ok).toBe(false);
      expect(await valuesOf(c, topic)).toEqual([]);
    });

    it("a retried delete of a half-deleted topic finishes it and succeeds", async () => {
      // Prepare
      const s = await stores();
      const topic = uniqueName("t");
      const crashing = new CrashingManifest(
        s.manifest,
        (item) => item.pk === TOPICS_PK && item.data.state === "deleted",
      );
      const b = freshLog({ ...s, manifest: crashing });
      await b.topics.create(topic, 2);
      await expect(b.topics.delete(topic)).rejects.toBeInstanceOf(CrashError);
      // Act
      await b.topics.delete(topic);
      // Assess
      await expect(b.topics.delete(topic)).rejects.toMatchObject({ code: "topic_not_found" });
      expect((await b.topics.list()).map((t) => t.name)).not.toContain(topic);
    });
  });
}

incarnationSuite("the in-memory adapters", async () => ({
  manifest: new MemoryManifestStore(),
  objects: new MemoryObjectStore(),
}));

const standIns = useStandIns();
incarnationSuite("dynalite and s3rver", async () => ({
  manifest: standIns().manifestStore,
  objects: standIns().objectStore,
}));
