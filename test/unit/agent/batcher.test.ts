import { describe, expect, it } from "vitest";
import { FloeError } from "../../../client/src/errors.js";
import { Batcher, type BatcherOptions } from "../../../functions/src/agent/batcher.js";
import type { AppendOutcome, PartitionAppend } from "../../../functions/src/engine/append-types.js";
import type { TopicMeta } from "../../../functions/src/engine/model.js";
import { DEFAULT_TOPIC_CONFIG } from "../../../functions/src/engine/topic-config.js";

const topic: TopicMeta = {
  name: "t",
  topicId: "id",
  partitions: 4,
  config: DEFAULT_TOPIC_CONFIG,
  createdAt: 0,
  version: 1,
};

function append(bytes: number, partition = 0): PartitionAppend {
  return {
    topic,
    partition,
    payload: new Uint8Array(bytes),
    recordCount: 1,
    batchCount: 1,
    firstTimestamp: 0,
    maxTimestamp: 0,
  };
}

/** A batcher with test defaults: group commit off, 1 MiB budgets, one flush at a time. */
function batcherWith(options: Partial<BatcherOptions> & Pick<BatcherOptions, "flush" | "lingerMs">): Batcher {
  return new Batcher({
    flushBytesMin: 1 << 30,
    segmentBytesMax: 1 << 20,
    inflightBytesMax: 1 << 20,
    maxConcurrentFlushes: 1,
    ...options,
  });
}

/** A flush that records what it was given and answers each append with its index. */
function recordingFlush() {
  const flushes: PartitionAppend[][] = [];
  let gate: Promise<void> = Promise.resolve();
  return {
    flushes,
    hold() {
      let open!: () => void;
      gate = new Promise((r) => {
        open = r;
      });
      return open;
    },
    flush: async (appends: PartitionAppend[]): Promise<AppendOutcome[]> => {
      flushes.push(appends);
      await gate;
      return appends.map((_, i) => ({ ok: true, baseOffset: i, lastOffset: i, duplicate: false }));
    },
  };
}

describe("Batcher", () => {
  it("puts requests arriving within linger into one flush and answers each in order", async () => {
    // Prepare
    const f = recordingFlush();
    const batcher = batcherWith({ flush: f.flush, lingerMs: 20, maxConcurrentFlushes: 2 });
    // Act
    const [a, b] = await Promise.all([
      batcher.append([append(10), append(10, 1)]),
      batcher.append([append(10, 2)]),
    ]);
    // Assess
    expect(f.flushes).toHaveLength(1);
    expect(f.flushes[0]).toHaveLength(3);
    expect(a!.map((o) => (o.ok ? o.baseOffset : -1))).toEqual([0, 1]);
    expect(b!.map((o) => (o.ok ? o.baseOffset : -1))).toEqual([2]);
  });

  it("flushes at once when the segment size is reached, without waiting for linger", async () => {
    const f = recordingFlush();
    const batcher = batcherWith({
      flush: f.flush,
      lingerMs: 60_000,
      segmentBytesMax: 100,
      maxConcurrentFlushes: 2,
    });
    await batcher.append([append(100)]);
    expect(f.flushes).toHaveLength(1);
  });

  it("answers throttled with Retry-After past the in-flight byte limit and changes nothing", async () => {
    const f = recordingFlush();
    const open = f.hold();
    const batcher = batcherWith({
      flush: f.flush,
      lingerMs: 0,
      segmentBytesMax: 1000,
      inflightBytesMax: 150,
    });
    const first = batcher.append([append(100)]);
    const refused = batcher.append([append(100)]);
    await expect(refused).rejects.toMatchObject({ code: "throttled", status: 429, retryAfterSeconds: 1 });
    expect(batcher.inflight).toBe(100);
    open();
    await first;
    expect(batcher.inflight).toBe(0);
    expect(f.flushes.flat()).toHaveLength(1);
  });

  it("lets appends join a batch waiting for a flush slot, so batches grow under load", async () => {
    const f = recordingFlush();
    const open = f.hold();
    const batcher = batcherWith({ flush: f.flush, lingerMs: 0, segmentBytesMax: 1000 });
    const all = [
      batcher.append([append(10)]),
      batcher.append([append(10)]),
      batcher.append([append(10)]),
      batcher.append([append(10)]),
    ];
    open();
    await Promise.all(all);
    expect(f.flushes.map((x) => x.length)).toEqual([1, 3]);
  });

  it("keeps arrival order: a newcomer never joins a waiting batch ahead of a request still lingering", async () => {
    // Prepare: one flush slot, held busy; a small batch waits for it (cut by the linger).
    const f = recordingFlush();
    const open = f.hold();
    const batcher = batcherWith({ flush: f.flush, lingerMs: 5, segmentBytesMax: 100 });
    const running = batcher.append([append(100)]); // full segment: flushes at once
    const waiting = batcher.append([append(10)]);
    await new Promise((r) => setTimeout(r, 30)); // the linger cuts it; it waits for the slot
    // Act: a request too large for the waiting batch lingers, then a small one arrives
    const large = batcher.append([append(95)]);
    const later = batcher.append([append(11)]);
    open();
    await Promise.all([running, waiting, large, later]);
    // Assess: flushed in arrival order
    expect(f.flushes.flat().map((a) => a.payload.byteLength)).toEqual([100, 10, 95, 11]);
  });

  it("flushes what it accepted on close and refuses appends afterwards", async () => {
    const f = recordingFlush();
    const batcher = batcherWith({ flush: f.flush, lingerMs: 60_000, maxConcurrentFlushes: 2 });
    const accepted = batcher.append([append(10)]);
    await batcher.close();
    expect((await accepted)[0]).toMatchObject({ ok: true });
    await expect(batcher.append([append(10)])).rejects.toBeInstanceOf(FloeError);
  });

  it("rejects every request of a flush that throws", async () => {
    const batcher = batcherWith({ flush: () => Promise.reject(new Error("crash")), lingerMs: 5 });
    const results = await Promise.allSettled([batcher.append([append(1)]), batcher.append([append(1)])]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(batcher.inflight).toBe(0);
  });

  it("group-commits: an idle pipeline flushes a worthwhile batch at once, a busy one flushes the backlog when it frees", async () => {
    // Prepare: a linger far beyond the test, so only group commit can flush.
    const f = recordingFlush();
    const open = f.hold();
    const batcher = batcherWith({ flush: f.flush, lingerMs: 60_000, flushBytesMin: 100 });
    // Act
    const first = batcher.append([append(100)]); // idle and worth a PUT: goes at once
    const small = batcher.append([append(60)]); // a flush is running: waits...
    const more = batcher.append([append(60)]); // ...and grows the next batch
    await new Promise((r) => setImmediate(r));
    const flushedWhileBusy = f.flushes.length;
    open();
    await Promise.all([first, small, more]);
    // Assess
    expect(flushedWhileBusy).toBe(1);
    expect(f.flushes.map((x) => x.length)).toEqual([1, 2]);
  });
});
