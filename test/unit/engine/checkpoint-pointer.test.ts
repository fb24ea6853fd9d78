/**
 * The head's checkpoint pointer (docs/design/manifest.md § Folding, checkpoints): a writer's links
 * carry the newest checkpoint it knows of. A writer that plans on its own cached state (it never
 * re-reads the head) must remember the pointer its own link wrote; otherwise, while its next
 * checkpoint is being written or after that write failed, its links drop the pointer and a cold
 * start folds the whole chain from seq 0 instead of from the last checkpoint.
 */
import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../../functions/src/adapters/memory/memory-object-store.js";
import { appendFromBatches } from "../../../functions/src/engine/batch-validation.js";
import { chainPk, HEAD_SK } from "../../../functions/src/engine/keys.js";
import { FloeLog } from "../../../functions/src/engine/log.js";
import type { ObjectStore } from "../../../functions/src/ports/object-store.js";
import { batchOf } from "../../support/engine-harness.js";
import { FakeClock } from "../../support/fake-clock.js";

describe("checkpoint pointer", () => {
  it("is never dropped from the head by a writer whose next checkpoint write failed", async () => {
    // Prepare: one writer; its second checkpoint write (of the state at seq 128) fails.
    const clock = new FakeClock();
    const manifest = new MemoryManifestStore();
    const memory = new MemoryObjectStore({ clock });
    let checkpointPuts = 0;
    const objects: ObjectStore = {
      put: async (key, body) => {
        if (key.startsWith("checkpoints/") && ++checkpointPuts === 2) throw new Error("S3 503");
        return memory.put(key, body);
      },
      get: (key, range) => memory.get(key, range),
      delete: (key) => memory.delete(key),
      list: (prefix, options) => memory.list(prefix, options),
    };
    const writer = new FloeLog({ manifest, objects, clock });
    const topic = await writer.topics.create("cp", 1);
    const headCheckpoint = async () => {
      const head = await manifest.get(chainPk(topic.topicId), HEAD_SK);
      return (head?.data.checkpoint as { seq: number } | undefined)?.seq;
    };
    const pointers: Array<number | undefined> = [];
    const commit = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const [outcome] = await writer.append([appendFromBatches(topic, 0, batchOf(["x"], clock.now()))]);
        expect(outcome?.ok).toBe(true);
        await writer.settle();
        pointers.push(await headCheckpoint());
      }
    };
    // Act: 65 commits (the checkpoint at 64 is written and the link of 65 carries it), then on to 140.
    await commit(65);
    expect(pointers.at(-1)).toBe(64);
    await commit(140 - 65);
    // Assess: the failed checkpoint of 128 costs nothing but itself: from seq 65 on, every head
    // points at a checkpoint, never at an older one than before.
    expect(checkpointPuts).toBeGreaterThanOrEqual(2);
    const after = pointers.slice(64);
    expect(after.every((seq) => seq !== undefined && seq >= 64)).toBe(true);
    for (let i = 1; i < after.length; i++) expect(after[i]!).toBeGreaterThanOrEqual(after[i - 1]!);
  });

  it("a cold start folds from the checkpoint to exactly the state the writer holds", async () => {
    // Prepare: 150 commits of 3 idempotent producers over 2 partitions, one producer idle past
    // the TTL in the middle (its expiry must fold the same way from a checkpoint as live).
    const clock = new FakeClock();
    const manifest = new MemoryManifestStore();
    const objects = new MemoryObjectStore({ clock });
    const ttlMs = 60_000;
    const limits = {
      producer: { maxProducersPerPartition: 64, producerStateBytesMax: 32 * 1024, producerStateTtlMs: ttlMs },
    };
    const writer = new FloeLog({ manifest, objects, clock, limits });
    const topic = await writer.topics.create("cold", 2);
    const next = new Map<string, number>();
    for (let i = 0; i < 150; i++) {
      const id = i >= 60 && i < 100 ? `p${i % 2}` : `p${i % 3}`; // p2 idles from 60 to 100
      const partition = i % 2;
      const key = `${id}/${partition}`;
      const first = next.get(key) ?? 0;
      const [outcome] = await writer.append([
        appendFromBatches(topic, partition, batchOf([`r${i}`], clock.now()), {
          producer: { id, epoch: 0, firstSequence: first },
        }),
      ]);
      if (outcome?.ok) next.set(key, first + 1);
      else next.set(key, 0); // expired: starts again at 0 as a new producer
      await writer.settle();
      clock.advance(i === 80 ? ttlMs + 1 : 100);
    }
    // Act: a new process reads the head: checkpoint + the records since.
    const cold = new FloeLog({ manifest, objects, clock, limits });
    const state = await cold.committer.readState(topic.topicId);
    // Assess
    expect(cold.committer.stats.recordsFolded).toBeLessThan(64);
    const live = writer.committer.knownState(topic.topicId)!;
    expect(state.seq).toBe(live.seq);
    expect(state.partitions).toEqual(live.partitions);
    expect(state.producers).toEqual(live.producers);
  });

  it("a missing or unreadable checkpoint costs a longer fold, never a commit", async () => {
    // Prepare: 70 commits (the head points at the checkpoint of 64), then the object goes bad.
    const clock = new FakeClock();
    const manifest = new MemoryManifestStore();
    const objects = new MemoryObjectStore({ clock });
    const writer = new FloeLog({ manifest, objects, clock });
    const topic = await writer.topics.create("bad-cp", 1);
    for (let i = 0; i < 70; i++) {
      await writer.append([appendFromBatches(topic, 0, batchOf(["x"], clock.now()))]);
      await writer.settle();
    }
    const head = await manifest.get(chainPk(topic.topicId), HEAD_SK);
    const key = (head?.data.checkpoint as { key: string } | undefined)?.key;
    expect(key).toBeDefined();
    for (const damage of ["unreadable", "missing"] as const) {
      if (damage === "unreadable") await objects.put(key!, new TextEncoder().encode('{"format":99}'));
      else await objects.delete(key!);
      // Act: a cold process appends and reads.
      const errors: unknown[] = [];
      const cold = new FloeLog({ manifest, objects, clock, logError: (e) => errors.push(e) });
      const [outcome] = await cold.append([appendFromBatches(topic, 0, batchOf(["y"], clock.now()))]);
      // Assess: the fold went from seq 0; the append is acknowledged at the next offset.
      expect(outcome).toMatchObject({ ok: true });
      expect(cold.committer.stats.recordsFolded).toBeGreaterThanOrEqual(70);
      expect(errors.length).toBe(1);
      const tail = await cold.tail(topic.name, 0);
      expect(tail.highWatermark).toBe(damage === "unreadable" ? 71 : 72);
    }
  });
});
