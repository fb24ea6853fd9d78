/**
 * The time index (functions/src/engine/chain-index.ts): a timestamp lookup bisects the commit
 * chain, so it costs a bounded number of manifest requests however long the log, and answers
 * exactly what a brute-force scan does, timestamps in any order. Over the in-memory adapters,
 * counting every manifest request.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeRecordBatch } from "../../../client/src/format/index.js";
import { MemoryManifestStore } from "../../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../../functions/src/adapters/memory/memory-object-store.js";
import { appendFromBatches } from "../../../functions/src/engine/batch-validation.js";
import { ChainIndex } from "../../../functions/src/engine/chain-index.js";
import { type CommitRecord, encodeRecord } from "../../../functions/src/engine/commit-record.js";
import { chainPk, HEAD_SK, recordSk } from "../../../functions/src/engine/keys.js";
import { FloeLog } from "../../../functions/src/engine/log.js";
import type { IndexEntry, TopicMeta } from "../../../functions/src/engine/model.js";
import { applyRecord, emptyTopicState, encodeCheckpoint } from "../../../functions/src/engine/topic-state.js";
import { systemClock } from "../../../functions/src/ports/clock.js";
import { CountingManifestStore, seededRandom } from "../../support/faults.js";

const encoder = new TextEncoder();

/** F is cached by the lookup, so reading it costs no Query; the head read and fold are not Queries. */
const READ_QUERIES = 0;
const timeIndexProbeBound = ChainIndex.probeBound;

function batchWith(timestamps: number[]): Uint8Array {
  return encodeRecordBatch({
    records: timestamps.map((timestamp, i) => ({
      key: null,
      value: encoder.encode(`v${i}`),
      headers: [],
      timestamp,
    })),
  });
}

/** The answer by definition: the first offset whose timestamp is >= t, else the high watermark. */
function bruteForce(timestamps: number[], t: number): number {
  const i = timestamps.findIndex((ts) => ts >= t);
  return i < 0 ? timestamps.length : i;
}

async function newLog() {
  const manifest = new CountingManifestStore(new MemoryManifestStore());
  const objects = new MemoryObjectStore();
  const log = new FloeLog({ manifest, objects, clock: systemClock });
  const topic = await log.topics.create("t", 1);
  return { log, manifest, objects, topic };
}

/**
 * A chain of `timestamps.length` one-record commits written straight into the stores (appending
 * 20 000 times through the engine would be slow, and the write path is not what is measured):
 * one segment object, one commit record per record with the running max commit-plan.ts computes,
 * a checkpoint of the final state (so a fresh reader does not fold the chain) and the head.
 */
async function fabricatedLog(timestamps: number[]) {
  const { manifest, objects, topic } = await newLog();
  const batches = timestamps.map((ts) => batchWith([ts]));
  const segment = new Uint8Array(batches.reduce((n, b) => n + b.length, 0));
  let pos = 0;
  let runningMax = -1;
  let state = emptyTopicState(topic.topicId);
  for (const [offset, batch] of batches.entries()) {
    segment.set(batch, pos);
    const ts = timestamps[offset]!;
    runningMax = Math.max(runningMax, ts);
    const entry: IndexEntry = {
      baseOffset: offset,
      lastOffset: offset,
      recordCount: 1,
      segmentKey: "segment-1",
      pos,
      len: batch.length,
      batchCount: 1,
      firstTimestamp: ts,
      maxTimestamp: ts,
      maxTimestampSoFar: runningMax,
      relativeOffsets: false,
    };
    pos += batch.length;
    const record: CommitRecord = {
      seq: offset + 1,
      at: 1_000_000,
      nonce: `n${offset}`,
      producerTtlMs: 0,
      partitions: [
        { nextOffset: offset + 1, logStartOffset: 0, lastTimestamp: runningMax, appendedBytes: pos },
      ],
      entries: [{ partition: 0, entry }],
      producers: [],
    };
    state = applyRecord(state, record);
    const item = {
      pk: chainPk(topic.topicId),
      sk: recordSk(record.seq),
      version: 1,
      data: { r: encodeRecord(record) },
    };
    await manifest.put(item, { kind: "absent" });
  }
  await objects.put("segment-1", segment);
  await objects.put("checkpoint-1", encodeCheckpoint(state));
  await manifest.put(
    {
      pk: chainPk(topic.topicId),
      sk: HEAD_SK,
      version: 1,
      data: { seq: timestamps.length, checkpoint: { seq: timestamps.length, key: "checkpoint-1" } },
    },
    { kind: "absent" },
  );
  // A fresh reader: it knows nothing of the chain but the head and the checkpoint.
  const reader = new FloeLog({ manifest, objects, clock: systemClock });
  return { log: reader, manifest, topic };
}

async function lookup(log: FloeLog, topic: TopicMeta, manifest: CountingManifestStore, t: number) {
  const head = await log.head(topic, 0);
  const before = manifest.counts.query;
  const offset = await log.offsetForTimestamp(head, t);
  return { offset, queries: manifest.counts.query - before };
}

describe("time index: a timestamp lookup costs a bounded number of manifest requests", () => {
  it("stays within ceil(log2(high watermark)) + 1 probes as the log grows 10x and 100x", async () => {
    for (const length of [200, 2_000, 20_000]) {
      // Prepare: timestamps rising with noise (non-monotone), as clocks of many producers give.
      const random = seededRandom(length);
      const timestamps = Array.from({ length }, (_, i) => 1_000 + i * 10 + Math.floor(random() * 50));
      const { log, manifest, topic } = await fabricatedLog(timestamps);
      const bound = timeIndexProbeBound(length) + READ_QUERIES;
      for (const t of [0, 1_005, 1_000 + length * 5, 1_000 + length * 10 - 20, 1_000 + length * 10 + 100]) {
        // Act
        const { offset, queries } = await lookup(log, topic, manifest, t);
        // Assess
        expect(offset).toBe(bruteForce(timestamps, t));
        expect(queries).toBeLessThanOrEqual(bound);
      }
      expect(bound).toBeLessThanOrEqual(timeIndexProbeBound(2 ** 53) + READ_QUERIES);
    }
  });

  it("answers what a brute-force scan answers, on random logs with timestamps in any order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 4 }), {
          minLength: 1,
          maxLength: 25,
        }),
        fc.array(fc.integer({ min: -1, max: 102 }), { minLength: 1, maxLength: 6 }),
        async (appends, targets) => {
          // Prepare: each append is one commit, so one entry with its running max.
          const { log, manifest, topic } = await newLog();
          for (const timestamps of appends) {
            const [outcome] = await log.append([appendFromBatches(topic, 0, batchWith(timestamps))]);
            expect(outcome?.ok).toBe(true);
          }
          const all = appends.flat();
          for (const t of targets) {
            // Act
            const { offset, queries } = await lookup(log, topic, manifest, t);
            // Assess
            expect(offset).toBe(bruteForce(all, t));
            expect(queries).toBeLessThanOrEqual(timeIndexProbeBound(all.length) + READ_QUERIES);
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
