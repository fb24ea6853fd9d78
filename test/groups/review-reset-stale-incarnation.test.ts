/**
 * A reset must compute its target in the incarnation it labels the offset with. Before the fix,
 * resetOffsets computed the targets from the agent's topic cache (seconds old) and only then read
 * the topic's current topic_id fresh: on an agent still caching a deleted incarnation T1, "reset
 * to latest" stored T1's high watermark labelled as the new incarnation T2, so the group skipped
 * T2's first records (or pointed past its end). With FLOE_HEAD_CACHE_MS = 0 (the default) the
 * stale tail reads the tombstoned head and answers 404 instead; with a head cache it is served.
 */
import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import { appendFromBatches } from "../../functions/src/engine/batch-validation.js";
import { FloeLog } from "../../functions/src/engine/log.js";
import { GroupCoordinator } from "../../functions/src/groups/group-coordinator.js";
import { logPartitionDirectory } from "../../functions/src/groups/partition-directory.js";
import { batchOf } from "../support/engine-harness.js";
import { FakeClock } from "../support/fake-clock.js";

describe("review: a reset on an agent caching a deleted incarnation", () => {
  it("stores an offset of the topic's current incarnation, never the old one's high watermark", async () => {
    // Prepare: agents A and B share one manifest and bucket; A serves the group and caches orders (T1).
    const clock = new FakeClock();
    const manifest = new MemoryManifestStore();
    const objects = new MemoryObjectStore();
    // A serves tails from heads up to 1 s old (FLOE_HEAD_CACHE_MS, allowed up to 5 s).
    const a = new FloeLog({ manifest, objects, clock, limits: { headCacheMs: 1_000 } });
    const b = new FloeLog({ manifest, objects, clock });
    let n = 0;
    const coordinator = new GroupCoordinator({
      manifest,
      clock,
      partitions: logPartitionDirectory(a),
      newId: () => `member-${++n}`,
    });
    const t1 = await a.topics.create("orders", 1);
    const [first] = await a.append([
      appendFromBatches(t1, 0, batchOf(["1", "2", "3", "4", "5"], clock.now())),
    ]);
    expect(first).toMatchObject({ ok: true, lastOffset: 4 });
    const member = await coordinator.join("g", { topics: ["orders"], sessionTimeoutMs: 3_000 });
    await coordinator.leave("g", member.memberId);
    // Act: B deletes and re-creates the topic and appends one record; A still caches T1.
    await b.topics.delete("orders");
    const t2 = await b.topics.create("orders", 1);
    const [second] = await b.append([appendFromBatches(t2, 0, batchOf(["new"], clock.now()))]);
    expect(second).toMatchObject({ ok: true, baseOffset: 0 });
    await coordinator.resetOffsets("g", { topic: "orders", to: "latest" });
    // Assess: the new incarnation's latest is 1; T1's was 5.
    expect(await coordinator.fetchOffsets("g", "orders")).toMatchObject([
      { topic: "orders", partition: 0, offset: 1 },
    ]);
  });
});
