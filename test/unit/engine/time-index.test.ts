/**
 * The time index (functions/src/engine/time-index.ts): a timestamp lookup costs a bounded number
 * of manifest requests however long the log, and answers exactly what a brute-force scan does,
 * timestamps in any order. Over the in-memory adapters, counting every manifest request.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { encodeRecordBatch } from "../../../client/src/format/index.js";
import { MemoryManifestStore } from "../../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../../functions/src/adapters/memory/memory-object-store.js";
import { appendFromBatches } from "../../../functions/src/engine/batch-validation.js";
import { entrySk, partitionPk } from "../../../functions/src/engine/keys.js";
import { FloeLog } from "../../../functions/src/engine/log.js";
import {
  entryFromData,
  entryItem,
  entryToData,
  headToItem,
  type IndexEntry,
  type TopicMeta,
} from "../../../functions/src/engine/model.js";
import { timeIndexProbeBound } from "../../../functions/src/engine/time-index.js";
import { systemClock } from "../../../functions/src/ports/clock.js";
import { CountingManifestStore, seededRandom } from "../../support/faults.js";

const encoder = new TextEncoder();

/** Reading F after the bisection: the reader's entry lookup (2 Queries); F's bytes are one GET. */
const READ_QUERIES = 2;

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
 * A log of `timestamps.length` one-record entries written straight into the stores (appending
 * 20 000 times through the engine would be slow, and the write path is not what is measured):
 * one segment object of one batch per record, one index entry per batch with the running max
 * commit-plan.ts computes, and a head after them.
 */
async function fabricatedLog(timestamps: number[]) {
  const { log, manifest, objects, topic } = await newLog();
  const batches = timestamps.map((ts) => batchWith([ts]));
  const segment = new Uint8Array(batches.reduce((n, b) => n + b.length, 0));
  let pos = 0;
  let runningMax = -1;
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
    await manifest.put(entryItem(topic.topicId, 0, entry), { kind: "absent" });
    pos += batch.length;
  }
  await objects.put("segment-1", segment);
  const empty = await log.head(topic, 0);
  const head = {
    ...empty,
    nextOffset: timestamps.length,
    lastTimestamp: runningMax,
    appendedBytes: segment.length,
    version: empty.version + 1,
  };
  await manifest.put(headToItem(head), { kind: "version", version: empty.version });
  return { log, manifest, topic };
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

  it("still answers exactly over entries written before the time index (no running max)", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 3 }), {
          minLength: 2,
          maxLength: 20,
        }),
        fc.integer({ min: 0, max: 100 }),
        fc.array(fc.integer({ min: -1, max: 102 }), { minLength: 1, maxLength: 5 }),
        async (appends, legacyPercent, targets) => {
          // Prepare: a log whose first entries lose their running max, as old agents wrote them.
          const { log, manifest, topic } = await newLog();
          for (const timestamps of appends) {
            await log.append([appendFromBatches(topic, 0, batchWith(timestamps))]);
          }
          const pk = partitionPk(topic.topicId, 0);
          const page = await manifest.query(pk, { gte: entrySk(0), lte: entrySk(Number.MAX_SAFE_INTEGER) });
          const legacy = Math.floor((page.items.length * legacyPercent) / 100);
          for (const item of page.items.slice(0, legacy)) {
            const { maxTimestampSoFar: _, ...old } = entryFromData(item.data);
            await manifest.put({ ...item, data: entryToData(old) }, { kind: "none" });
          }
          const all = appends.flat();
          for (const t of targets) {
            // Act
            const { offset } = await lookup(log, topic, manifest, t);
            // Assess
            expect(offset).toBe(bruteForce(all, t));
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
