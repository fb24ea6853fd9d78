/**
 * Cache charges must count what a value keeps alive (docs/design/manifest.md § Caches, in bytes).
 * A topic state keeps its producers in Maps (ids are client input: never plain objects), and so do
 * the partition views the fetch head cache keeps: a Map's entries must be charged, or a cache full
 * of idempotent producers' state holds many times its byte budget.
 */
import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../../functions/src/adapters/memory/memory-object-store.js";
import { appendFromBatches } from "../../../functions/src/engine/batch-validation.js";
import { FloeLog } from "../../../functions/src/engine/log.js";
import { retainedBytes, stringBytes } from "../../../functions/src/engine/retained-size.js";
import { batchOf } from "../../support/engine-harness.js";
import { FakeClock } from "../../support/fake-clock.js";

describe("retainedBytes of Maps", () => {
  it("charges every entry's key and value", () => {
    const value = "v".repeat(1000);
    const map = new Map(Array.from({ length: 100 }, (_, i) => [`k${i}`, value] as const));
    expect(retainedBytes(map)).toBeGreaterThanOrEqual(100 * stringBytes(value));
    expect(retainedBytes(new Map([[1, new Map([["id", value]])]]))).toBeGreaterThan(stringBytes(value));
    expect(retainedBytes(new Set([value]))).toBeGreaterThan(stringBytes(value));
  });

  it("charges the topic state cache for every producer it remembers", async () => {
    // Prepare: 64 idempotent producers with 64-character ids, each appending to 4 partitions.
    const clock = new FakeClock();
    const log = new FloeLog({
      manifest: new MemoryManifestStore(),
      objects: new MemoryObjectStore({ clock }),
      clock,
    });
    const topic = await log.topics.create("producers", 4);
    const ids = Array.from({ length: 64 }, (_, i) => `${i}`.padStart(64, "p"));
    // Act
    for (const id of ids) {
      const outcomes = await log.append(
        [0, 1, 2, 3].map((p) =>
          appendFromBatches(topic, p, batchOf(["x"], clock.now()), {
            producer: { id, epoch: 0, firstSequence: 0 },
          }),
        ),
      );
      expect(outcomes.every((o) => o.ok)).toBe(true);
    }
    // Assess: 256 producer states are cached; each keeps at least its id alive.
    expect(log.committer.knownState(topic.topicId)?.producers.get(3)?.size).toBe(64);
    expect(log.cacheSizes().topicStates!.bytes).toBeGreaterThanOrEqual(4 * 64 * stringBytes(ids[0]!));
  });
});
