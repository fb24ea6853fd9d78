import { describe, expect, it } from "vitest";
import { EntryCache } from "../../../functions/src/engine/entry-cache.js";
import { HotTail } from "../../../functions/src/engine/hot-tail.js";
import type { IndexEntry } from "../../../functions/src/engine/model.js";
import { PartitionSequencer } from "../../../functions/src/engine/partition-sequencer.js";
import { RangeCache } from "../../../functions/src/engine/range-cache.js";

describe("RangeCache", () => {
  it("coalesces concurrent misses for one range into one load", async () => {
    // Prepare
    const cache = new RangeCache(1024);
    let loads = 0;
    let release!: (v: Uint8Array) => void;
    const load = () => {
      loads++;
      return new Promise<Uint8Array>((resolve) => {
        release = resolve;
      });
    };
    // Act
    const readers = [cache.get("k", load), cache.get("k", load), cache.get("k", load)];
    release(new Uint8Array([1, 2, 3]));
    const results = await Promise.all(readers);
    // Assess
    expect(loads).toBe(1);
    expect(results.every((r) => r[2] === 3)).toBe(true);
    expect(cache.stats).toMatchObject({ misses: 1, coalesced: 2 });
    expect(await cache.get("k", load)).toEqual(new Uint8Array([1, 2, 3]));
    expect(cache.stats.hits).toBe(1);
  });

  it("evicts least recently used ranges to stay within its byte budget", async () => {
    const cache = new RangeCache(10);
    const value = (n: number) => () => Promise.resolve(new Uint8Array(n));
    await cache.get("a", value(4));
    await cache.get("b", value(4));
    await cache.get("a", value(4)); // a is now most recent
    await cache.get("c", value(4)); // evicts b
    expect(cache.sizeBytes).toBeLessThanOrEqual(10);
    let reloaded = false;
    await cache.get("b", () => {
      reloaded = true;
      return Promise.resolve(new Uint8Array(4));
    });
    expect(reloaded).toBe(true);
  });

  it("does not cache a failed load", async () => {
    const cache = new RangeCache(100);
    await expect(cache.get("k", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await cache.get("k", () => Promise.resolve(new Uint8Array(1)))).toHaveLength(1);
  });

  it("never caches a range larger than the whole budget", async () => {
    const cache = new RangeCache(8);
    await cache.get("big", () => Promise.resolve(new Uint8Array(9)));
    expect(cache.sizeBytes).toBe(0);
  });
});

describe("HotTail", () => {
  it("serves ranges of recent objects and forgets the oldest beyond its budget", () => {
    const tail = new HotTail(10);
    tail.add("one", new Uint8Array([0, 1, 2, 3, 4, 5]));
    expect(tail.get("one", 2, 3)).toEqual(new Uint8Array([2, 3, 4]));
    tail.add("two", new Uint8Array(6));
    expect(tail.get("one", 0, 1)).toBeUndefined();
    expect(tail.get("two", 0, 7)).toBeUndefined(); // beyond the object
    expect(tail.sizeBytes).toBe(6);
  });
});

describe("EntryCache", () => {
  const entry = (baseOffset: number, lastOffset: number): IndexEntry => ({
    baseOffset,
    lastOffset,
    recordCount: lastOffset - baseOffset + 1,
    segmentKey: `s${baseOffset}`,
    pos: 8,
    len: 10,
    batchCount: 1,
    firstTimestamp: 0,
    maxTimestamp: 0,
    relativeOffsets: false,
  });

  it("finds the entry holding an offset, whatever order entries arrive in", () => {
    const cache = new EntryCache();
    cache.add("p", [entry(10, 19), entry(0, 9)]);
    cache.add("p", [entry(20, 20), entry(10, 19)]);
    expect(cache.find("p", 0)?.baseOffset).toBe(0);
    expect(cache.find("p", 15)?.baseOffset).toBe(10);
    expect(cache.find("p", 20)?.baseOffset).toBe(20);
    expect(cache.find("p", 21)).toBeUndefined();
    expect(cache.find("q", 0)).toBeUndefined();
  });

  it("keeps at most its bound of entries per partition, dropping the oldest offsets", () => {
    const cache = new EntryCache(3);
    cache.add("p", [entry(0, 0), entry(1, 1), entry(2, 2), entry(3, 3)]);
    expect(cache.find("p", 0)).toBeUndefined();
    expect(cache.find("p", 3)).toBeDefined();
  });
});

describe("PartitionSequencer", () => {
  it("runs one partition's slots in the order they were taken, others independently", async () => {
    const sequencer = new PartitionSequencer();
    const order: string[] = [];
    const first = sequencer.enter("p");
    const second = sequencer.enter("p");
    const other = sequencer.enter("q");
    const done = [
      second.ready.then(() => {
        order.push("p2");
        second.done();
      }),
      other.ready.then(() => {
        order.push("q1");
        other.done();
      }),
    ];
    await new Promise((r) => setImmediate(r));
    order.push("p1");
    first.done();
    await Promise.all(done);
    expect(order).toEqual(["q1", "p1", "p2"]);
  });
});
