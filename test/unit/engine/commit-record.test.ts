/**
 * The commit record's bytes (commit-record.ts) and the fold (topic-state.ts): a record round-trips
 * exactly at the widest values a record can hold, and folding the records of a run of commits gives
 * every partition exactly the head the planner computed (the committer acknowledges from the plan;
 * every other process serves and plans from the fold, so the two must never differ).
 */
import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../../functions/src/adapters/memory/memory-object-store.js";
import { appendFromBatches } from "../../../functions/src/engine/batch-validation.js";
import {
  type CommitRecord,
  decodeRecord,
  encodeRecord,
} from "../../../functions/src/engine/commit-record.js";
import { FloeLog } from "../../../functions/src/engine/log.js";
import { decodeCheckpoint, encodeCheckpoint } from "../../../functions/src/engine/topic-state.js";
import { batchOf } from "../../support/engine-harness.js";
import { FakeClock } from "../../support/fake-clock.js";
import { seededRandom } from "../../support/faults.js";

const MAX = Number.MAX_SAFE_INTEGER;

describe("commit record", () => {
  it("round-trips the widest values a record can hold", () => {
    const record: CommitRecord = {
      seq: MAX,
      at: 1_800_000_000_000,
      nonce: "0123456789abcdef",
      producerTtlMs: MAX,
      partitions: [
        { nextOffset: MAX, logStartOffset: 0, lastTimestamp: -1, appendedBytes: MAX },
        { nextOffset: 0, logStartOffset: 0, lastTimestamp: MAX, appendedBytes: 0 },
      ],
      entries: [
        {
          partition: 1023,
          entry: {
            baseOffset: MAX - 10,
            lastOffset: MAX - 1,
            recordCount: 10,
            segmentKey: "ab12/segments/ü-✓".padEnd(128, "x"),
            pos: 2 ** 40,
            len: 2 ** 31,
            batchCount: 10,
            firstTimestamp: -MAX,
            maxTimestamp: -MAX + 5,
            maxTimestampSoFar: 9_000_000_000_000,
            relativeOffsets: true,
          },
        },
      ],
      producers: [
        {
          partition: 5,
          id: "p".repeat(64),
          epoch: 32_767,
          firstSequence: 2 ** 31 - 1,
          lastSequence: 5, // wrapped past 2^31 - 1
          baseOffset: MAX - 7,
          lastOffset: MAX - 1,
        },
      ],
    };
    expect(decodeRecord(encodeRecord(record))).toEqual(record);
    expect(() => decodeRecord(encodeRecord(record).subarray(0, 20))).toThrow(/truncated|corrupt/);
  });

  it("folds to exactly the heads the planner made, and a checkpoint restores the same state", async () => {
    // Prepare: random appends to 4 partitions, with idempotent producers, duplicates and refusals.
    const clock = new FakeClock();
    const manifest = new MemoryManifestStore();
    const objects = new MemoryObjectStore({ clock });
    const writer = new FloeLog({ manifest, objects, clock });
    const topic = await writer.topics.create("fold", 4);
    const random = seededRandom(11);
    const sequences = new Map<string, number>();
    for (let round = 0; round < 40; round++) {
      const appends = [];
      for (let i = 0; i < 6; i++) {
        const partition = Math.floor(random() * 4);
        const id = `p${Math.floor(random() * 3)}`;
        const key = `${id}/${partition}`;
        const resend = random() < 0.2 && (sequences.get(key) ?? 0) > 0;
        const first = resend ? (sequences.get(key) ?? 1) - 1 : (sequences.get(key) ?? 0);
        if (!resend) sequences.set(key, first + 1);
        appends.push(
          appendFromBatches(topic, partition, batchOf([`r${round}-${i}`], clock.now()), {
            producer: { id, epoch: 0, firstSequence: first },
            ...(random() < 0.1 ? { matchOffset: 999_999 } : {}),
          }),
        );
      }
      await writer.append(appends);
      clock.advance(10);
    }
    // Act: a process that never saw the commits folds the chain from the manifest.
    const reader = new FloeLog({ manifest, objects, clock });
    for (let p = 0; p < 4; p++) {
      const planned = writer.committer.knownState(topic.topicId)!;
      const folded = await reader.committer.readHead(topic.topicId, p);
      // Assess
      expect(folded.nextOffset).toBe(planned.partitions[p]?.nextOffset ?? 0);
      expect(folded.producers).toEqual(planned.producers.get(p) ?? new Map());
    }
    const state = reader.committer.knownState(topic.topicId)!;
    const restored = decodeCheckpoint(encodeCheckpoint(state), topic.topicId);
    expect(restored.partitions).toEqual(state.partitions);
    expect(restored.producers).toEqual(state.producers);
  });
});
