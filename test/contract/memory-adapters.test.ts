/**
 * What the in-memory adapters add on top of the contract: request counters (benchmarks and tests
 * count requests), a clock for lastModified, and operations that yield before taking effect.
 */
import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import type { Clock } from "../../functions/src/ports/clock.js";
import { ConditionFailedError } from "../../functions/src/ports/manifest-store.js";
import { rejectionOf } from "../support/rejection.js";

function fixedClock(now: number): Clock {
  return { now: () => now, sleep: async () => undefined };
}

describe("MemoryObjectStore", () => {
  it("counts requests per kind and payload bytes, failed gets included", async () => {
    // Prepare
    const store = new MemoryObjectStore();
    // Act
    await store.put("a/0001", new Uint8Array(10));
    await store.put("a/0002", new Uint8Array(5));
    await store.get("a/0001", { start: 2, end: 6 });
    await rejectionOf(store.get("a/missing"));
    await store.list("a/");
    await store.delete("a/0002");
    // Assess
    expect(store.stats).toEqual({ puts: 2, gets: 2, deletes: 1, lists: 1, bytesPut: 15, bytesGot: 4 });
    expect(store.size).toBe(1);
  });

  it("resets its counters without touching stored objects", async () => {
    // Prepare
    const store = new MemoryObjectStore();
    await store.put("a/0001", new Uint8Array(3));
    // Act
    store.resetStats();
    // Assess
    expect(store.stats).toEqual({ puts: 0, gets: 0, deletes: 0, lists: 0, bytesPut: 0, bytesGot: 0 });
    expect((await store.get("a/0001")).byteLength).toBe(3);
  });

  it("stamps lastModified from the injected clock", async () => {
    // Prepare
    const store = new MemoryObjectStore({ clock: fixedClock(1_234_567) });
    // Act
    await store.put("a/0001", new Uint8Array(1));
    const page = await store.list("a/");
    // Assess
    expect(page.objects).toEqual([{ key: "a/0001", size: 1, lastModified: 1_234_567 }]);
  });

  it("applies a put only after yielding, so concurrent callers can interleave", async () => {
    // Prepare
    const store = new MemoryObjectStore();
    // Act
    const pending = store.put("a/0001", new Uint8Array(1));
    const sizeBeforeYield = store.size;
    await pending;
    // Assess
    expect(sizeBeforeYield).toBe(0);
    expect(store.size).toBe(1);
  });
});

describe("MemoryManifestStore", () => {
  it("counts requests per kind, failed conditional writes included", async () => {
    // Prepare
    const store = new MemoryManifestStore();
    // Act
    await store.put({ pk: "p", sk: "head", version: 1, data: {} }, { kind: "absent" });
    await rejectionOf(store.put({ pk: "p", sk: "head", version: 1, data: {} }, { kind: "absent" }));
    await store.get("p", "head");
    await store.query("p");
    await store.delete("p", "head");
    // Assess
    expect(store.stats).toEqual({ puts: 2, gets: 1, deletes: 1, queries: 1 });
    expect(store.size).toBe(0);
  });

  it("checks a condition against the state when the write lands, not when it was called", async () => {
    // Prepare
    const store = new MemoryManifestStore();
    await store.put({ pk: "p", sk: "head", version: 1, data: {} }, { kind: "absent" });
    // Act: the delete is called first but both are in flight together, as over the network.
    const deleting = store.delete("p", "head", { kind: "version", version: 1 });
    const updating = store.put(
      { pk: "p", sk: "head", version: 2, data: {} },
      { kind: "version", version: 1 },
    );
    const outcomes = await Promise.allSettled([deleting, updating]);
    // Assess
    expect(outcomes[0]?.status).toBe("fulfilled");
    expect(outcomes[1]?.status === "rejected" && outcomes[1].reason instanceof ConditionFailedError).toBe(
      true,
    );
    expect(await store.get("p", "head")).toBeUndefined();
  });
});
