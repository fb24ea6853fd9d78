/**
 * The engine end to end (FloeLog: topics, append, fetch, tail), run over the in-memory adapters
 * and over dynalite/s3rver through the AWS SDK: one suite, two back ends.
 */
import { describe, expect, it } from "vitest";
import { FloeError } from "../../client/src/errors.js";
import { decodeRecordBatches } from "../../client/src/format/index.js";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import { appendFromBatches } from "../../functions/src/engine/batch-validation.js";
import { chainPk, HEAD_SK, recordSk } from "../../functions/src/engine/keys.js";
import { FloeLog } from "../../functions/src/engine/log.js";
import type { TopicMeta } from "../../functions/src/engine/model.js";
import { systemClock } from "../../functions/src/ports/clock.js";
import type { ManifestStore } from "../../functions/src/ports/manifest-store.js";
import type { ObjectStore } from "../../functions/src/ports/object-store.js";
import { batchOf, CrashError } from "../support/engine-harness.js";
import { CountingManifestStore } from "../support/faults.js";
import { uniqueName, useStandIns } from "../support/standins.js";

interface Backend {
  manifest: ManifestStore;
  objects: ObjectStore;
}

const decoder = new TextDecoder();

function values(
  result: Awaited<ReturnType<FloeLog["fetch"]>>,
  from = 0,
): { offset: number; value: string; timestamp: number }[] {
  return result.batches.flatMap((b) =>
    decodeRecordBatches(b.bytes).flatMap((d) =>
      d.records
        .filter((r) => r.offset >= from)
        .map((r) => ({ offset: r.offset, value: decoder.decode(r.value!), timestamp: r.timestamp })),
    ),
  );
}

async function produce(log: FloeLog, topic: TopicMeta, partition: number, vals: string[], timestamp = 1_000) {
  const [outcome] = await log.append([appendFromBatches(topic, partition, batchOf(vals, timestamp))]);
  if (!outcome?.ok) throw outcome?.error ?? new Error("no outcome");
  return outcome;
}

const FETCH_ALL = { maxBytes: 1 << 20, maxRecords: 10_000, clamp: false };

function engineSuite(name: string, backend: () => Promise<Backend>) {
  describe(`engine over ${name}`, () => {
    const newLog = async (b?: Backend, extra: Partial<ConstructorParameters<typeof FloeLog>[0]> = {}) => {
      const be = b ?? (await backend());
      return { backend: be, log: new FloeLog({ ...be, clock: systemClock, ...extra }) };
    };

    it("keeps every cache within its byte budget; budgets too small for any value cache nothing and break no read", async () => {
      // Prepare: one log whose caches can hold nothing, one with a few KiB each.
      const budgets = (bytes: number) => ({
        rangeCacheBytes: bytes,
        hotTailBytes: bytes,
        entryCacheBytes: bytes,
        headCacheBytes: bytes,
        topicCacheBytes: bytes,
        headCacheMs: 60_000,
      });
      const be = await backend();
      const { log: starved } = await newLog(be, { limits: budgets(1) });
      const { log: small } = await newLog(be, { limits: budgets(4096) });
      const topic = await small.topics.create(uniqueName("t"), 8);
      // Act: rounds alternate between the logs; the last is the small one's, so its cached heads
      // (served for headCacheMs) are the newest.
      for (let round = 0; round < 4; round++) {
        for (let p = 0; p < 8; p++)
          await produce(round % 2 ? small : starved, topic, p, [`r${round}p${p}`, "x".repeat(500)]);
      }
      const fetched = await Promise.all(
        [starved, small].flatMap((log) =>
          Array.from({ length: 8 }, async (_, p) =>
            values(await log.fetch(topic.name, p, { offset: 0 }, FETCH_ALL)),
          ),
        ),
      );
      // Assess
      for (const [i, records] of fetched.entries()) {
        const p = i % 8;
        expect(records.map((r) => r.value).filter((v) => v.startsWith("r"))).toEqual([
          `r0p${p}`,
          `r1p${p}`,
          `r2p${p}`,
          `r3p${p}`,
        ]);
      }
      for (const cache of Object.values(starved.cacheSizes())) expect(cache.bytes).toBe(0);
      const sizes = small.cacheSizes();
      for (const cache of Object.values(sizes)) expect(cache.bytes).toBeLessThanOrEqual(cache.capacityBytes);
      expect(sizes.heads!.bytes).toBeGreaterThan(0);
      expect(sizes.entries!.bytes).toBeGreaterThan(0);
    });

    it("appends and fetches records with dense offsets, by offset, timestamp and tail", async () => {
      // Prepare
      const { log } = await newLog();
      const topic = await log.topics.create(uniqueName("t"), 2);
      // Act
      const a = await produce(log, topic, 1, ["a", "b"], 100);
      const b = await produce(log, topic, 1, ["c"], 200);
      const c = await produce(log, topic, 1, ["d", "e", "f"], 300);
      // Assess
      expect([a.baseOffset, b.baseOffset, c.baseOffset, c.lastOffset]).toEqual([0, 2, 3, 5]);
      const all = await log.fetch(topic.name, 1, { offset: 0 }, FETCH_ALL);
      expect(values(all).map((r) => `${r.offset}:${r.value}`)).toEqual([
        "0:a",
        "1:b",
        "2:c",
        "3:d",
        "4:e",
        "5:f",
      ]);
      expect(all).toMatchObject({ nextOffset: 6, highWatermark: 6, logStartOffset: 0 });
      const mid = await log.fetch(topic.name, 1, { offset: 4 }, FETCH_ALL);
      expect(values(mid, 4).map((r) => r.value)).toEqual(["e", "f"]);
      const byTime = await log.fetch(topic.name, 1, { timestamp: 150 }, FETCH_ALL);
      expect(values(byTime)[0]).toMatchObject({ offset: 2, value: "c" });
      const tail = await log.fetch(topic.name, 1, { tailOffset: 2 }, FETCH_ALL);
      expect(values(tail, 4).map((r) => r.value)).toEqual(["e", "f"]);
      expect(await log.tail(topic.name, 1)).toEqual({
        highWatermark: 6,
        logStartOffset: 0,
        lastTimestamp: 300,
      });
      expect((await log.tail(topic.name, 0)).highWatermark).toBe(0);
    });

    it("honours max_records and max_bytes, always returning at least one batch", async () => {
      const { log } = await newLog();
      const topic = await log.topics.create(uniqueName("t"), 1);
      for (let i = 0; i < 5; i++) await produce(log, topic, 0, [`v${i}-a`, `v${i}-b`]);
      const two = await log.fetch(
        topic.name,
        0,
        { offset: 0 },
        { maxBytes: 1 << 20, maxRecords: 3, clamp: false },
      );
      expect(two.batches).toHaveLength(2); // whole batches: 4 records cover the 3 asked for
      expect(two.nextOffset).toBe(4);
      const tiny = await log.fetch(
        topic.name,
        0,
        { offset: 2 },
        { maxBytes: 1, maxRecords: 100, clamp: false },
      );
      expect(tiny.batches).toHaveLength(1);
      expect(tiny.nextOffset).toBe(4);
    });

    it("answers offset_out_of_range with both bounds, or clamps when asked", async () => {
      const { log } = await newLog();
      const topic = await log.topics.create(uniqueName("t"), 1);
      await produce(log, topic, 0, ["x"]);
      const error = await log.fetch(topic.name, 0, { offset: 5 }, FETCH_ALL).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FloeError);
      expect(error).toMatchObject({
        code: "offset_out_of_range",
        status: 416,
        details: { log_start_offset: 0, high_watermark: 1 },
      });
      const clamped = await log.fetch(topic.name, 0, { offset: 5 }, { ...FETCH_ALL, clamp: true });
      expect(clamped).toMatchObject({ nextOffset: 1, batches: [] });
      await expect(log.fetch(topic.name, 3, { offset: 0 }, FETCH_ALL)).rejects.toMatchObject({
        code: "partition_not_found",
      });
      await expect(log.fetch("missing-topic", 0, { offset: 0 }, FETCH_ALL)).rejects.toMatchObject({
        code: "topic_not_found",
      });
    });

    it("writes one object and two manifest writes per topic for a flush touching many partitions", async () => {
      // Prepare
      const be = await backend();
      const counting = new CountingManifestStore(be.manifest);
      const { log } = await newLog({ manifest: counting, objects: be.objects });
      const t1 = await log.topics.create(uniqueName("t"), 3);
      const t2 = await log.topics.create(uniqueName("t"), 1);
      const putsBefore = counting.counts.put;
      const objectsBefore = log.writer.stats.objectPuts;
      // Act
      const outcomes = await log.append([
        appendFromBatches(t1, 0, batchOf(["a"], 1)),
        appendFromBatches(t1, 1, batchOf(["b"], 1)),
        appendFromBatches(t1, 0, batchOf(["c"], 1)),
        appendFromBatches(t2, 0, batchOf(["d"], 1)),
      ]);
      await log.settle();
      // Assess: 1 PUT; per topic touched (2), whatever its partitions: one record claim, one head link.
      expect(log.writer.stats.objectPuts - objectsBefore).toBe(1);
      expect(counting.counts.put - putsBefore).toBe(4);
      expect(outcomes.map((o) => (o.ok ? o.baseOffset : -1))).toEqual([0, 0, 1, 0]);
      const p0 = await log.fetch(t1.name, 0, { offset: 0 }, FETCH_ALL);
      expect(values(p0).map((r) => r.value)).toEqual(["a", "c"]);
    });

    it("puts a pipelined producer's out-of-order requests back in sequence order within a flush", async () => {
      // Prepare: batches 2, 0, 1 of one producer arrive in that order, with another producer's between.
      const { log } = await newLog();
      const topic = await log.topics.create(uniqueName("t"), 1);
      const stamped = (vals: string[], firstSequence: number) =>
        appendFromBatches(topic, 0, batchOf(vals, 1), { producer: { id: "p", epoch: 0, firstSequence } });
      // Act
      const outcomes = await log.append([
        stamped(["c"], 2),
        stamped(["a"], 0),
        appendFromBatches(topic, 0, batchOf(["other"], 1)),
        stamped(["b"], 1),
      ]);
      // Assess
      expect(outcomes.every((o) => o.ok)).toBe(true);
      const all = await log.fetch(topic.name, 0, { offset: 0 }, FETCH_ALL);
      expect(values(all).map((r) => r.value)).toEqual(["a", "b", "other", "c"]);
    });

    it("serves a fresh reader with one ranged GET per entry, then from its cache", async () => {
      const { log, backend: be } = await newLog();
      const topic = await log.topics.create(uniqueName("t"), 1);
      for (let i = 0; i < 3; i++) await produce(log, topic, 0, [`r${i}`]);
      // The writer serves its own tail from memory: no GET at all.
      await log.fetch(topic.name, 0, { offset: 0 }, FETCH_ALL);
      expect(log.reader.stats.rangeGets).toBe(0);
      const { log: reader } = await newLog(be);
      const first = await reader.fetch(topic.name, 0, { offset: 0 }, FETCH_ALL);
      expect(values(first).map((r) => r.value)).toEqual(["r0", "r1", "r2"]);
      expect(reader.reader.stats.rangeGets).toBe(3);
      await reader.fetch(topic.name, 0, { offset: 0 }, FETCH_ALL);
      expect(reader.reader.stats.rangeGets).toBe(3);
    });

    it("reads ahead no further than the read's record limit (a timestamp lookup costs one GET)", async () => {
      // Prepare: five entries, and a reader that has none of them in memory
      const { log, backend: be } = await newLog();
      const topic = await log.topics.create(uniqueName("t"), 1);
      for (let i = 0; i < 5; i++) await produce(log, topic, 0, [`r${i}`], 100 * (i + 1));
      const { log: reader } = await newLog(be);
      // Act
      const one = await reader.fetch(topic.name, 0, { offset: 0 }, { ...FETCH_ALL, maxRecords: 1 });
      const head = await reader.head(topic, 0);
      const offset = await reader.offsetForTimestamp(head, 150);
      // Assess: one GET for each entry read, none for entries neither read wanted
      expect(values(one).map((r) => r.value)).toEqual(["r0"]);
      expect(offset).toBe(1);
      expect(reader.reader.stats.rangeGets).toBe(2);
    });

    it("links a record whose writer died between claiming and linking it, before its own", async () => {
      // Prepare: the record is claimed, the process "dies" before linking it (never acknowledged).
      const be = await backend();
      const { log: dying } = await newLog(be, {
        crashHook: (point) => {
          if (point === "before-entry-write") throw new CrashError(point);
        },
      });
      const topic = await dying.topics.create(uniqueName("t"), 1);
      await expect(
        dying.append([appendFromBatches(topic, 0, batchOf(["orphan?"], 1))]),
      ).rejects.toBeInstanceOf(CrashError);
      expect(await be.manifest.get(chainPk(topic.topicId), recordSk(1))).toBeDefined();
      // Act: a fresh reader does not see it (not linked: not committed); the next writer finds the
      // claim at seq 1, links it for the dead writer and commits its own record at seq 2.
      const { log: next } = await newLog(be);
      const before = await next.fetch(topic.name, 0, { offset: 0 }, FETCH_ALL);
      const [outcome] = await next.append([appendFromBatches(topic, 0, batchOf(["after"], 2))]);
      const after = await next.fetch(topic.name, 0, { offset: 0 }, FETCH_ALL);
      // Assess
      expect(values(before)).toEqual([]);
      expect(outcome).toMatchObject({ ok: true, baseOffset: 1 });
      expect(values(after).map((r) => r.value)).toEqual(["orphan?", "after"]);
      expect((await be.manifest.get(chainPk(topic.topicId), HEAD_SK))?.data.seq).toBe(2);
    });

    it("manages topics: exists, grow only, delete, and a recreated topic starts afresh", async () => {
      const { log } = await newLog();
      const name = uniqueName("t");
      const topic = await log.topics.create(name, 1, { "retention.ms": "3600000" });
      expect(topic.config["retention.ms"]).toBe(3_600_000);
      await expect(log.topics.create(name, 1)).rejects.toMatchObject({ code: "topic_exists" });
      await expect(log.topics.create("bad/name", 1)).rejects.toMatchObject({ code: "invalid_request" });
      await expect(log.topics.create(uniqueName("t"), 1, { "retention.msx": 1 })).rejects.toMatchObject({
        code: "invalid_request",
      });
      await produce(log, topic, 0, ["old"]);
      const grown = await log.topics.alter(name, { partitions: 3 });
      expect(grown.partitions).toBe(3);
      await produce(log, grown, 2, ["new partition"]);
      await expect(log.topics.alter(name, { partitions: 2 })).rejects.toMatchObject({
        code: "invalid_request",
      });
      expect((await log.topics.list()).map((t) => t.name)).toContain(name);
      await log.topics.delete(name);
      await expect(log.tail(name, 0)).rejects.toMatchObject({ code: "topic_not_found" });
      const again = await log.topics.create(name, 1);
      expect(again.topicId).not.toBe(topic.topicId);
      expect((await log.tail(name, 0)).highWatermark).toBe(0);
    });
  });
}

engineSuite("the in-memory adapters", async () => ({
  manifest: new MemoryManifestStore(),
  objects: new MemoryObjectStore(),
}));

const standIns = useStandIns();
engineSuite("dynalite and s3rver", async () => ({
  manifest: standIns().manifestStore,
  objects: standIns().objectStore,
}));
