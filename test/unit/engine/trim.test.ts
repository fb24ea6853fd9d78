/**
 * Trimming a partition (DeleteRecords, and retention later) is a commit of its own: it is ordered
 * with the appends of every writer, so a writer planning on a state from before the trim can
 * never put the old log start back, and offsets never restart.
 */
import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../../functions/src/adapters/memory/memory-object-store.js";
import { appendFromBatches } from "../../../functions/src/engine/batch-validation.js";
import { FloeLog } from "../../../functions/src/engine/log.js";
import { batchOf } from "../../support/engine-harness.js";
import { FakeClock } from "../../support/fake-clock.js";

const ALL = { maxBytes: 1 << 20, maxRecords: 1000, clamp: false };

describe("trim", () => {
  it("moves the log start by a commit that a writer with an older cached state cannot undo", async () => {
    // Prepare: A writes 5 records and caches its state; B trims below 3.
    const clock = new FakeClock();
    const stores = { manifest: new MemoryManifestStore(), objects: new MemoryObjectStore({ clock }), clock };
    const a = new FloeLog(stores);
    const b = new FloeLog(stores);
    const topic = await a.topics.create("trim", 2);
    await a.append([appendFromBatches(topic, 0, batchOf(["0", "1", "2", "3", "4"], 1))]);
    // Act
    const trimmed = await b.trim("trim", 0, 3);
    const [after] = await a.append([appendFromBatches(topic, 0, batchOf(["5"], 2))]);
    const again = await b.trim("trim", 0, 2); // below the log start: nothing to do
    // Assess
    expect(trimmed).toMatchObject({ logStartOffset: 3, highWatermark: 5 });
    expect(after).toMatchObject({ ok: true, baseOffset: 5 });
    expect(again.logStartOffset).toBe(3);
    for (const log of [a, b, new FloeLog(stores)]) {
      expect(await log.tail("trim", 0)).toMatchObject({ logStartOffset: 3, highWatermark: 6 });
      await expect(log.fetch("trim", 0, { offset: 2 }, ALL)).rejects.toMatchObject({
        code: "offset_out_of_range",
      });
      expect((await log.fetch("trim", 0, { offset: 3 }, ALL)).nextOffset).toBe(6);
    }
    expect((await a.tail("trim", 1)).logStartOffset).toBe(0); // the other partition is untouched
  });

  it("refuses an offset past the high watermark and changes nothing", async () => {
    const clock = new FakeClock();
    const log = new FloeLog({
      manifest: new MemoryManifestStore(),
      objects: new MemoryObjectStore({ clock }),
      clock,
    });
    const topic = await log.topics.create("trim-past", 1);
    await log.append([appendFromBatches(topic, 0, batchOf(["0"], 1))]);
    await expect(log.trim("trim-past", 0, 2)).rejects.toMatchObject({ code: "offset_out_of_range" });
    await expect(log.trim("trim-past", 0, -1)).rejects.toMatchObject({ code: "offset_out_of_range" });
    expect(await log.tail("trim-past", 0)).toMatchObject({ logStartOffset: 0, highWatermark: 1 });
    expect((await log.trim("trim-past", 0, 1)).logStartOffset).toBe(1); // up to the high watermark
  });
});
