import { describe, expect, it } from "vitest";
import type { PartitionAppend, ProducerStamp } from "../../../functions/src/engine/append-types.js";
import {
  DEFAULT_PRODUCER_LIMITS,
  type PlacedAppend,
  PRODUCER_BATCHES_KEPT,
  planCommit,
} from "../../../functions/src/engine/commit-plan.js";
import { emptyHead, type PartitionHead, type TopicMeta } from "../../../functions/src/engine/model.js";
import { DEFAULT_TOPIC_CONFIG } from "../../../functions/src/engine/topic-config.js";

const topic: TopicMeta = {
  name: "t",
  topicId: "id",
  partitions: 1,
  config: DEFAULT_TOPIC_CONFIG,
  createdAt: 0,
  version: 1,
};

function placed(recordCount: number, pos: number, extra: Partial<PartitionAppend> = {}): PlacedAppend {
  const len = 100 * recordCount;
  return {
    append: {
      topic,
      partition: 0,
      payload: new Uint8Array(len),
      recordCount,
      batchCount: 1,
      firstTimestamp: 1000 + pos,
      maxTimestamp: 2000 + pos,
      ...extra,
    },
    pos,
    len,
  };
}

function stamp(firstSequence: number, epoch = 0, id = "p1"): ProducerStamp {
  return { id, epoch, firstSequence };
}

/** Commits `appends` one plan at a time, as successive flushes would. */
function commitAll(
  head: PartitionHead,
  ...flushes: PlacedAppend[][]
): { head: PartitionHead; plans: ReturnType<typeof planCommit>[] } {
  const plans = [];
  for (const f of flushes) {
    const plan = planCommit(head, f, "seg", 5_000);
    plans.push(plan);
    if (plan.nextHead) head = plan.nextHead;
  }
  return { head, plans };
}

describe("planCommit", () => {
  it("stores in each entry the partition's running max timestamp (the time index), across commits", () => {
    // Prepare: timestamps out of order within and across commits; a rejected append in between.
    const head = { ...emptyHead("id", 0), lastTimestamp: 2_500, version: 1 };
    const late = (pos: number, max: number) => placed(1, pos, { firstTimestamp: max, maxTimestamp: max });
    // Act
    const { plans } = commitAll(
      head,
      [late(0, 2_000), late(100, 3_000)],
      [late(0, 1_000), placed(1, 100, { maxTimestamp: 9_000, matchOffset: 99 }), late(200, 4_000)],
    );
    // Assess: non-decreasing, never below the entry's own max, seeded from the head's lastTimestamp.
    expect(plans[0]!.entries.map((e) => e.maxTimestampSoFar)).toEqual([3_000]);
    expect(plans[1]!.entries.map((e) => [e.maxTimestamp, e.maxTimestampSoFar])).toEqual([
      [1_000, 3_000],
      [4_000, 4_000],
    ]);
  });

  it("assigns dense offsets in order and merges adjacent appends into one entry", () => {
    // Prepare
    const head = { ...emptyHead("id", 0), nextOffset: 40, version: 3 };
    // Act
    const plan = planCommit(head, [placed(2, 8), placed(3, 208)], "seg", 5_000);
    // Assess
    expect(plan.outcomes).toEqual([
      { ok: true, baseOffset: 40, lastOffset: 41, duplicate: false },
      { ok: true, baseOffset: 42, lastOffset: 44, duplicate: false },
    ]);
    expect(plan.entries).toHaveLength(1);
    expect(plan.entries[0]).toMatchObject({
      baseOffset: 40,
      lastOffset: 44,
      recordCount: 5,
      pos: 8,
      len: 500,
      batchCount: 2,
    });
    expect(plan.nextHead).toMatchObject({
      nextOffset: 45,
      version: 4,
      pending: plan.entries,
      lastTimestamp: 2208,
    });
  });

  it("splits entries around a rejected append so rejected bytes are never indexed", () => {
    const head = emptyHead("id", 0);
    const plan = planCommit(
      head,
      [placed(1, 8), placed(1, 108, { matchOffset: 99 }), placed(1, 208)],
      "seg",
      0,
    );
    expect(plan.outcomes[1]).toMatchObject({ ok: false });
    expect(plan.entries.map((e) => [e.baseOffset, e.pos, e.len])).toEqual([
      [0, 8, 100],
      [1, 208, 100],
    ]);
  });

  it("answers offset_mismatch with the expected offset and writes nothing when all fail", () => {
    const plan = planCommit(
      { ...emptyHead("id", 0), nextOffset: 7 },
      [placed(1, 8, { matchOffset: 6 })],
      "seg",
      0,
    );
    expect(plan.nextHead).toBeUndefined();
    const outcome = plan.outcomes[0]!;
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.error.code).toBe("offset_mismatch");
      expect(outcome.error.details.expected_offset).toBe(7);
    }
  });

  it("acknowledges a retried idempotent batch with its original offsets", () => {
    const { plans } = commitAll(
      emptyHead("id", 0),
      [placed(2, 8, { producer: stamp(0) })],
      [placed(3, 8, { producer: stamp(2) })],
      [placed(2, 8, { producer: stamp(0) })],
    );
    expect(plans[2]!.outcomes[0]).toEqual({ ok: true, baseOffset: 0, lastOffset: 1, duplicate: true });
    expect(plans[2]!.nextHead).toBeUndefined();
  });

  it("deduplicates a retry that arrives in the same flush as the original", () => {
    const plan = planCommit(
      emptyHead("id", 0),
      [placed(2, 8, { producer: stamp(0) }), placed(2, 208, { producer: stamp(0) })],
      "seg",
      0,
    );
    expect(plan.outcomes).toEqual([
      { ok: true, baseOffset: 0, lastOffset: 1, duplicate: false },
      { ok: true, baseOffset: 0, lastOffset: 1, duplicate: true },
    ]);
    expect(plan.nextHead!.nextOffset).toBe(2);
  });

  it("rejects a sequence gap with the expected sequence", () => {
    const { plans } = commitAll(
      emptyHead("id", 0),
      [placed(2, 8, { producer: stamp(0) })],
      [placed(1, 8, { producer: stamp(5) })],
    );
    const outcome = plans[1]!.outcomes[0]!;
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) {
      expect(outcome.error.code).toBe("out_of_order_sequence");
      expect(outcome.error.details.expected_sequence).toBe(2);
    }
  });

  it("fences a stale epoch and lets a new epoch restart at sequence 0", () => {
    const { plans } = commitAll(
      emptyHead("id", 0),
      [placed(1, 8, { producer: stamp(0, 1) })],
      [placed(1, 8, { producer: stamp(0, 2) })],
      [placed(1, 8, { producer: stamp(1, 1) })],
      [placed(1, 8, { producer: stamp(3, 3) })],
    );
    expect(plans[1]!.outcomes[0]).toMatchObject({ ok: true, baseOffset: 1 });
    expect(plans[2]!.outcomes[0]).toMatchObject({ ok: false, error: { code: "producer_fenced" } });
    expect(plans[3]!.outcomes[0]).toMatchObject({ ok: false, error: { code: "out_of_order_sequence" } });
  });

  it("requires an unknown producer to start at sequence 0", () => {
    const plan = planCommit(emptyHead("id", 0), [placed(1, 8, { producer: stamp(4) })], "seg", 0);
    expect(plan.outcomes[0]).toMatchObject({ ok: false, error: { code: "out_of_order_sequence" } });
  });

  it("keeps only the last batches per producer", () => {
    let head = emptyHead("id", 0);
    for (let i = 0; i < PRODUCER_BATCHES_KEPT + 3; i++)
      head = planCommit(head, [placed(1, 8, { producer: stamp(i) })], "seg", i).nextHead!;
    expect(head.producers.get("p1")!.batches).toHaveLength(PRODUCER_BATCHES_KEPT);
  });

  it("forgets producers idle past the state TTL", () => {
    const first = planCommit(emptyHead("id", 0), [placed(1, 8, { producer: stamp(0) })], "seg", 0).nextHead!;
    const later = planCommit(
      first,
      [placed(1, 8, { producer: stamp(0, 0, "other") })],
      "seg",
      DEFAULT_PRODUCER_LIMITS.producerStateTtlMs + 1,
    ).nextHead!;
    expect([...later.producers.keys()]).toEqual(["other"]);
  });
});
