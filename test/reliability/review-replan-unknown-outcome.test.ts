/**
 * A commit write whose outcome is unknown (the request timed out, yet DynamoDB still applies it a
 * moment later) must not be re-planned with a different result. With the commit chain the
 * committer resends the same record (same nonce) while its seq is free, and recognises its commit
 * only by that nonce; this test keeps the scenario that broke the per-partition head protocol:
 *
 * Before the fix the retry re-planned at a later `nowMs`. One millisecond later a producer's TTL had
 * passed, so the second plan admitted a new producer the first plan refused (producer_limit), in
 * the same run of adjacent bytes. The first write landed, the second lost the condition, and the
 * evidence check (same first entry) acknowledged the new producer's append at offset 2, which no
 * head ever held: the next writer was handed offset 2 again.
 */
import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import type { PartitionAppend, ProducerStamp } from "../../functions/src/engine/append-types.js";
import type { PlacedAppend } from "../../functions/src/engine/commit-plan.js";
import { Committer } from "../../functions/src/engine/committer.js";
import type { TopicMeta } from "../../functions/src/engine/model.js";
import { DEFAULT_TOPIC_CONFIG } from "../../functions/src/engine/topic-config.js";
import {
  type ManifestItem,
  type ManifestStore,
  StoreUnavailableError,
  type WriteCondition,
} from "../../functions/src/ports/manifest-store.js";
import { FakeClock } from "../support/fake-clock.js";
import { ForwardingManifestStore } from "../support/faults.js";

const topic: TopicMeta = {
  name: "t",
  topicId: "tid",
  partitions: 1,
  config: DEFAULT_TOPIC_CONFIG,
  createdAt: 0,
  version: 1,
};

function placed(pos: number, producer?: ProducerStamp): PlacedAppend {
  const append: PartitionAppend = {
    topic,
    partition: 0,
    payload: new Uint8Array(100),
    recordCount: 1,
    batchCount: 1,
    firstTimestamp: 1,
    maxTimestamp: 1,
    ...(producer ? { producer } : {}),
  };
  return { append, pos, len: 100 };
}

/**
 * The next commit-record claim times out (StoreUnavailable) but is still in flight: the store
 * applies it just before it handles the following claim.
 */
class LateLandingHeadWrite extends ForwardingManifestStore {
  private armed = false;
  private late: { item: ManifestItem; condition: WriteCondition } | undefined;
  arm(): void {
    this.armed = true;
  }
  override async put(item: ManifestItem, condition: WriteCondition) {
    const head = item.sk.startsWith("c#") && condition.kind === "absent";
    if (head && this.late) {
      const { item: lateItem, condition: lateCondition } = this.late;
      this.late = undefined;
      await this.inner.put(lateItem, lateCondition); // the timed-out write lands now
    }
    if (head && this.armed) {
      this.armed = false;
      this.late = { item, condition };
      throw new StoreUnavailableError("injected: head write timed out, still in flight");
    }
    return this.inner.put(item, condition);
  }
}

describe("review: a head write of unknown outcome is retried as planned", () => {
  it("never acknowledges an append the landed head write did not hold", async () => {
    // Prepare: one producer slot per partition; producer x wrote at t0 and expires after 1000 ms.
    const clock = new FakeClock();
    const memory = new MemoryManifestStore();
    const store = new LateLandingHeadWrite(memory);
    const producerLimits = {
      maxProducersPerPartition: 1,
      producerStateBytesMax: 32 * 1024,
      producerStateTtlMs: 1000,
    };
    const committer = (manifest: ManifestStore) =>
      new Committer({
        manifest,
        objects: new MemoryObjectStore({ clock }),
        clock,
        commitTimeoutMs: 60_000,
        producerLimits,
        random: () => 0,
      });
    const commit = async (c: Committer, appends: PlacedAppend[], segment: string) =>
      (await c.commitTopic("tid", [{ partition: 0, placed: appends }], segment))[0]!;
    const a = committer(store);
    const first = await commit(a, [placed(0, { id: "x", epoch: 0, firstSequence: 0 })], "seg-1");
    expect(first.outcomes[0]).toMatchObject({ ok: true, baseOffset: 0 });
    clock.advance(1000); // x is still live now (idle == TTL), expired one millisecond later

    // Act: a plain append and a new producer q in one run of adjacent bytes. The first plan
    // refuses q (the partition remembers x); the head write times out and lands late.
    store.arm();
    const result = await commit(
      a,
      [placed(0), placed(100, { id: "q", epoch: 0, firstSequence: 0 })],
      "seg-2",
    );
    await a.settle();

    // Assess: whatever q's outcome, an acknowledged append is in the stored chain, and another
    // writer is never handed an acknowledged offset again.
    const b = committer(memory);
    const stored = await b.readHead("tid", 0);
    for (const outcome of result.outcomes)
      if (outcome.ok) expect(outcome.lastOffset).toBeLessThan(stored.nextOffset);
    const next = await commit(b, [placed(0)], "seg-3");
    const taken = result.outcomes.flatMap((o) => (o.ok ? [o.baseOffset] : []));
    expect(taken.length).toBeGreaterThan(0);
    expect(next.outcomes[0]).toMatchObject({ ok: true });
    if (next.outcomes[0]?.ok) expect(taken).not.toContain(next.outcomes[0].baseOffset);
  });
});
