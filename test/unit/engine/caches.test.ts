import { describe, expect, it } from "vitest";
import { BoundedSet } from "../../../functions/src/engine/bounded-set.js";
import { ByteLru } from "../../../functions/src/engine/byte-lru.js";
import { EntryCache } from "../../../functions/src/engine/entry-cache.js";
import { HotTail } from "../../../functions/src/engine/hot-tail.js";
import type { IndexEntry } from "../../../functions/src/engine/model.js";
import { PartitionSequencer } from "../../../functions/src/engine/partition-sequencer.js";
import { RangeCache, rangeChargeBytes } from "../../../functions/src/engine/range-cache.js";
import {
  MAP_ENTRY_BYTES,
  retainedBytes,
  stringBytes,
  TYPED_ARRAY_BYTES,
} from "../../../functions/src/engine/retained-size.js";

describe("RangeCache", () => {
  it("coalesces concurrent misses for one range into one load", async () => {
    // Prepare
    const cache = new RangeCache(4096);
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

  it("evicts least recently used ranges to stay within its byte budget, counting their overhead", async () => {
    // Prepare: room for two 4-byte ranges with their keys and headers, not three.
    const one = rangeChargeBytes("a", new Uint8Array(4));
    const cache = new RangeCache(2 * one + 1);
    const value = (n: number) => () => Promise.resolve(new Uint8Array(n));
    await cache.get("a", value(4));
    await cache.get("b", value(4));
    await cache.get("a", value(4)); // a is now most recent
    // Act
    await cache.get("c", value(4)); // evicts b
    // Assess
    expect(cache.sizeBytes).toBe(2 * one);
    expect(one).toBeGreaterThan(4);
    let reloaded = false;
    await cache.get("b", () => {
      reloaded = true;
      return Promise.resolve(new Uint8Array(4));
    });
    expect(reloaded).toBe(true);
  });

  it("does not cache a failed load", async () => {
    const cache = new RangeCache(4096);
    await expect(cache.get("k", () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await cache.get("k", () => Promise.resolve(new Uint8Array(1)))).toHaveLength(1);
  });

  it("never caches a range larger than the whole budget, and still serves it", async () => {
    const cache = new RangeCache(rangeChargeBytes("big", new Uint8Array(8)));
    const served = await cache.get("big", () => Promise.resolve(new Uint8Array(9)));
    expect(served).toHaveLength(9);
    expect(cache.sizeBytes).toBe(0);
  });
});

describe("HotTail", () => {
  /** An object's charge (hot-tail.ts): bytes, key, map entry, typed array; and per view handed out. */
  const objectBytes = (key: string, n: number) => MAP_ENTRY_BYTES + stringBytes(key) + TYPED_ARRAY_BYTES + n;
  const viewBytes = MAP_ENTRY_BYTES + TYPED_ARRAY_BYTES;

  it("serves ranges of recent objects and forgets the least recently used beyond its budget", () => {
    // Prepare: room for two 6-byte objects and one view.
    const tail = new HotTail(2 * objectBytes("one", 6) + viewBytes);
    tail.add("one", new Uint8Array([0, 1, 2, 3, 4, 5]));
    tail.add("two", new Uint8Array(6));
    expect(tail.get("one", 2, 3)).toEqual(new Uint8Array([2, 3, 4])); // one is now most recent
    // Act
    tail.add("six", new Uint8Array(6));
    // Assess
    expect(tail.get("two", 0, 1)).toBeUndefined();
    expect(tail.get("one", 0, 7)).toBeUndefined(); // beyond the object
    expect(tail.sizeBytes).toBeLessThanOrEqual(2 * objectBytes("one", 6) + viewBytes);
  });

  it("counts the views it hands out and never holds an object larger than the budget", () => {
    // Prepare
    const tail = new HotTail(objectBytes("one", 6) + viewBytes);
    tail.add("big", new Uint8Array(1000));
    tail.add("one", new Uint8Array(6));
    // Act
    tail.get("one", 0, 2);
    tail.get("one", 2, 2); // a second view: over budget, so the object itself goes
    // Assess
    expect(tail.get("big", 0, 1)).toBeUndefined();
    expect(tail.sizeBytes).toBeLessThanOrEqual(objectBytes("one", 6) + viewBytes);
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
    const cache = new EntryCache(1024 * 1024);
    cache.add("p", [entry(10, 19), entry(0, 9)]);
    cache.add("p", [entry(20, 20), entry(10, 19)]);
    expect(cache.find("p", 0)?.baseOffset).toBe(0);
    expect(cache.find("p", 15)?.baseOffset).toBe(10);
    expect(cache.find("p", 20)?.baseOffset).toBe(20);
    expect(cache.find("p", 21)).toBeUndefined();
    expect(cache.find("q", 0)).toBeUndefined();
  });

  /** What one entry and one partition are charged (entry-cache.ts). */
  const entryBytes = 8 + retainedBytes(entry(0, 0));
  const partitionBytes = (pk: string) => MAP_ENTRY_BYTES + stringBytes(pk) + 64;

  it("stays within its byte budget, dropping the least recently used partition first", () => {
    // Prepare: room for exactly two partitions of two entries each.
    const cache = new EntryCache(2 * (partitionBytes("p") + 2 * entryBytes));
    cache.add("p", [entry(0, 0), entry(1, 1)]);
    cache.add("q", [entry(0, 0), entry(1, 1)]);
    expect(cache.find("p", 0)).toBeDefined(); // p is now the most recently used
    // Act
    cache.add("r", [entry(0, 0), entry(1, 1)]);
    // Assess
    expect(cache.sizeBytes).toBeLessThanOrEqual(cache.capacityBytes);
    expect(cache.sizeBytes).toBe(2 * (partitionBytes("p") + 2 * entryBytes));
    expect(cache.find("q", 0)).toBeUndefined();
    expect(cache.find("p", 1)).toBeDefined();
    expect(cache.find("r", 1)).toBeDefined();
  });

  it("drops the lowest offsets of a partition that alone outgrows the budget", () => {
    // Prepare
    const cache = new EntryCache(partitionBytes("p") + 3 * entryBytes);
    // Act
    cache.add("p", [entry(0, 0), entry(1, 1), entry(2, 2), entry(3, 3)]);
    // Assess
    expect(cache.sizeBytes).toBe(cache.capacityBytes);
    expect(cache.find("p", 0)).toBeUndefined();
    expect(cache.find("p", 3)).toBeDefined();
  });

  it("does not cache an entry larger than the whole budget, and keeps the rest", () => {
    // Prepare
    const cache = new EntryCache(partitionBytes("p") + 2 * entryBytes);
    cache.add("p", [entry(0, 0)]);
    const huge = { ...entry(5, 5), segmentKey: "k".repeat(1000) };
    // Act
    cache.add("p", [huge]);
    // Assess
    expect(cache.find("p", 5)).toBeUndefined();
    expect(cache.find("p", 0)).toBeDefined();
    expect(cache.sizeBytes).toBeLessThanOrEqual(cache.capacityBytes);
  });
});

describe("ByteLru", () => {
  it("evicts least recently used entries so the total stays within the budget", () => {
    // Prepare: each entry charged its value.
    const lru = new ByteLru<string, number>(10, (_key, value) => value);
    lru.set("a", 4);
    lru.set("b", 4);
    lru.get("a");
    // Act
    lru.set("c", 4);
    // Assess
    expect(lru.sizeBytes).toBe(8);
    expect([...lru.keys()]).toEqual(["a", "c"]);
    expect(lru.evictions).toBe(1);
  });

  it("does not cache a value larger than the whole budget and keeps what it holds", () => {
    // Prepare
    const lru = new ByteLru<string, number>(10, (_key, value) => value);
    lru.set("a", 10);
    // Act
    const cached = lru.set("b", 11);
    // Assess
    expect(cached).toBe(false);
    expect(lru.get("a")).toBe(10);
    expect(lru.has("b")).toBe(false);
    expect(lru.sizeBytes).toBe(10);
  });

  it("charges a replaced value once", () => {
    const lru = new ByteLru<string, number>(10, (_key, value) => value);
    lru.set("a", 6);
    lru.set("a", 7);
    expect(lru.sizeBytes).toBe(7);
  });
});

describe("BoundedSet", () => {
  it("forgets its oldest members past its byte budget", () => {
    // Prepare: room for two one-character strings.
    const set = new BoundedSet<string>(2 * (MAP_ENTRY_BYTES + stringBytes("a")), stringBytes);
    set.add("a");
    set.add("b");
    // Act
    set.add("c");
    // Assess
    expect([set.has("a"), set.has("b"), set.has("c")]).toEqual([false, true, true]);
    expect(set.sizeBytes).toBe(2 * (MAP_ENTRY_BYTES + stringBytes("a")));
  });
});

describe("retainedBytes", () => {
  it("bounds a value by its parts: strings by UTF-16 units, objects by properties", () => {
    expect(retainedBytes("abc")).toBe(stringBytes("abc"));
    expect(retainedBytes({ a: 1 })).toBeGreaterThan(retainedBytes({}) + retainedBytes(1));
    expect(retainedBytes(new Uint8Array(1000))).toBeGreaterThan(1000);
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
