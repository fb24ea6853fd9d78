/**
 * The worst case of every small manifest item kind, built at the bounds of each field keyed by
 * client input (docs/design/manifest.md § Item budgets); the group state item has its own test
 * (test/groups/group-state-budget.test.ts) and the partition head its producers' bound.
 */
import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { itemSizeBytes } from "../../functions/src/adapters/store-rules.js";
import { entryItem, topicToItem } from "../../functions/src/engine/model.js";
import { DEFAULT_TOPIC_CONFIG, MAX_PARTITIONS } from "../../functions/src/engine/topic-config.js";
import { groupPk, offsetSk } from "../../functions/src/groups/group-keys.js";
import { DEFAULT_GROUP_LIMITS } from "../../functions/src/groups/group-limits.js";
import { OffsetStore } from "../../functions/src/groups/offset-store.js";
import { FakeClock } from "../support/fake-clock.js";

const WIDEST = 1_000_000_000_000_001;
const LONGEST_NAME = "n".repeat(249);

describe("manifest item budgets", () => {
  it("a topic item is at most 1 KiB (name 249 characters, fixed config keys)", () => {
    // Prepare
    const item = topicToItem({
      name: LONGEST_NAME,
      topicId: "00000000-0000-0000-0000-000000000000",
      partitions: MAX_PARTITIONS,
      config: {
        ...DEFAULT_TOPIC_CONFIG,
        "retention.ms": WIDEST,
        "retention.bytes": WIDEST,
        "delete.retention.ms": WIDEST,
        "cleanup.policy": "compact",
      },
      createdAt: WIDEST,
      version: WIDEST,
    });
    // Act / Assess
    expect(itemSizeBytes(item)).toBeLessThanOrEqual(1024);
  });

  it("an index entry item is at most 400 bytes (a segment key the writer makes)", () => {
    // Prepare: segment keys are `<4 hex>/<20-digit time>-<32 hex>`-like; allow 128 characters.
    const item = entryItem("00000000-0000-0000-0000-000000000000", MAX_PARTITIONS - 1, {
      baseOffset: WIDEST,
      lastOffset: WIDEST,
      recordCount: WIDEST,
      segmentKey: "k".repeat(128),
      pos: WIDEST,
      len: WIDEST,
      batchCount: WIDEST,
      firstTimestamp: WIDEST,
      maxTimestamp: WIDEST,
      relativeOffsets: true,
    });
    // Act / Assess
    expect(itemSizeBytes(item)).toBeLessThanOrEqual(400);
  });

  it("an offset item is at most 5 KiB (metadata at its 4096-byte limit, names of 249 characters)", async () => {
    // Prepare
    const store = new MemoryManifestStore();
    const offsets = new OffsetStore(store, new FakeClock(WIDEST), DEFAULT_GROUP_LIMITS.retentionMs);
    const tp = { topic: LONGEST_NAME, partition: MAX_PARTITIONS - 1 };
    const fence = {
      incarnation: "00000000-0000-0000-0000-000000000000",
      member: "m".repeat(64),
      since: WIDEST,
    };
    await offsets.ensureFence(LONGEST_NAME, tp, fence);
    // Act
    const current = await offsets.read(LONGEST_NAME, tp);
    await offsets.commit(
      LONGEST_NAME,
      tp,
      fence,
      WIDEST,
      "€".repeat(Math.floor(DEFAULT_GROUP_LIMITS.maxMetadataBytes / 3)),
      current,
      "00000000-0000-0000-0000-000000000000",
    );
    // Assess
    const item = await store.get(groupPk(LONGEST_NAME), offsetSk(tp.topic, tp.partition));
    expect(item?.data.offset).toBe(WIDEST);
    expect(itemSizeBytes(item!)).toBeLessThanOrEqual(5 * 1024);
  });
});
