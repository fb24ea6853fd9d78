/** The pure pieces of topic deletion: a tombstoned head refuses every append; the items round-trip. */
import { describe, expect, it } from "vitest";
import { planCommit } from "../../../functions/src/engine/commit-plan.js";
import {
  emptyHead,
  headFromItem,
  headToItem,
  type TopicMeta,
  topicRecordFromItem,
  topicRecordToItem,
} from "../../../functions/src/engine/model.js";
import { DEFAULT_TOPIC_CONFIG } from "../../../functions/src/engine/topic-config.js";

const topic: TopicMeta = {
  name: "orders",
  topicId: "id-1",
  partitions: 1,
  config: DEFAULT_TOPIC_CONFIG,
  createdAt: 0,
  version: 3,
};

const append = {
  append: {
    topic,
    partition: 0,
    payload: new Uint8Array(10),
    recordCount: 1,
    batchCount: 1,
    firstTimestamp: 1,
    maxTimestamp: 1,
  },
  pos: 0,
  len: 10,
};

describe("topic tombstones", () => {
  it("refuses every append planned against a tombstoned head, writing nothing", () => {
    // Prepare
    const head = { ...emptyHead("id-1", 0), nextOffset: 7, version: 9, deleted: true };
    // Act
    const plan = planCommit(head, [append, append], "seg", 0);
    // Assess
    expect(plan.nextHead).toBeUndefined();
    expect(plan.entries).toEqual([]);
    expect(plan.outcomes.map((o) => (o.ok ? "ok" : o.error.code))).toEqual([
      "topic_not_found",
      "topic_not_found",
    ]);
  });

  it("keeps `deleted` only on tombstones and round-trips the topic item's life cycle", () => {
    // Prepare
    const live = headToItem({ ...emptyHead("id-1", 0), version: 1 });
    const tombstone = headToItem({ ...emptyHead("id-1", 0), version: 2, deleted: true });
    const record = { meta: topic, state: "deleted" as const, deleteRequestId: "del-1" };
    // Act
    const back = topicRecordFromItem(topicRecordToItem(record));
    // Assess
    expect("deleted" in live.data).toBe(false);
    expect(headFromItem(live).deleted).toBeUndefined();
    expect(headFromItem(tombstone).deleted).toBe(true);
    expect(back).toEqual(record);
    expect(
      topicRecordFromItem({
        ...topicRecordToItem(record),
        data: { ...topicRecordToItem(record).data, state: undefined },
      }).state,
    ).toBe("live");
  });
});
