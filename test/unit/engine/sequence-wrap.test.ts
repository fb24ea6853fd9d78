/**
 * Kafka's producer sequences are int32s that wrap from 2^31 - 1 to 0. A producer crossing the
 * wrap goes on as in Kafka: its next batch at sequence 0 is in order, a batch straddling the wrap
 * is one batch, a retry across the wrap is still recognised as a duplicate, also by another
 * process folding the records.
 */
import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../../functions/src/adapters/memory/memory-object-store.js";
import { appendFromBatches } from "../../../functions/src/engine/batch-validation.js";
import { addSequence, checkProducer } from "../../../functions/src/engine/commit-plan.js";
import { FloeLog } from "../../../functions/src/engine/log.js";
import { batchOf } from "../../support/engine-harness.js";
import { FakeClock } from "../../support/fake-clock.js";

const MAX = 2 ** 31 - 1;

describe("producer sequences wrap at 2^31", () => {
  it("accepts the batch after the wrap, keeps straddling batches whole, and recognises retries", async () => {
    // Prepare: a producer whose epoch starts near the top (as after two billion records).
    const clock = new FakeClock();
    const stores = { manifest: new MemoryManifestStore(), objects: new MemoryObjectStore({ clock }), clock };
    const log = new FloeLog(stores);
    const topic = await log.topics.create("wrap", 1);
    const send = (values: string[], firstSequence: number) =>
      appendFromBatches(topic, 0, batchOf(values, 1), { producer: { id: "p", epoch: 0, firstSequence } });
    // The state a producer has after writing up to MAX - 3 (a stored batch ending there).
    await log.append([send(["x"], 0)]);
    const state = log.committer.knownState(topic.topicId)!;
    const producer = state.producers.get(0)!.get("p")!;
    producer.batches[0] = { ...producer.batches[0]!, firstSequence: MAX - 3, lastSequence: MAX - 3 };
    // Act
    const [straddling] = await log.append([send(["a", "b", "c", "d"], MAX - 2)]); // MAX-2, MAX-1, MAX, 0
    const [after] = await log.append([send(["e"], 1)]);
    const [retry] = await log.append([send(["a", "b", "c", "d"], MAX - 2)]);
    const [gap] = await log.append([send(["g"], 9)]);
    const [old] = await log.append([send(["o"], MAX - 100)]);
    // Assess
    expect(straddling).toMatchObject({ ok: true, baseOffset: 1, lastOffset: 4, duplicate: false });
    expect(after).toMatchObject({ ok: true, baseOffset: 5, duplicate: false });
    expect(retry).toMatchObject({ ok: true, baseOffset: 1, lastOffset: 4, duplicate: true });
    expect(gap).toMatchObject({
      ok: false,
      error: { code: "out_of_order_sequence", details: { expected_sequence: 2 } },
    });
    expect(old).toMatchObject({ ok: false, error: { code: "out_of_order_sequence" } });
    expect(old?.ok === false ? old.error.message : "").toMatch(/already written/);
    // Another process folds the records to the same producer state.
    const other = new FloeLog(stores);
    const folded = await other.committer.readHead(topic.topicId, 0);
    expect(folded.producers.get("p")!.batches.at(-1)).toMatchObject({ firstSequence: 1, lastSequence: 1 });
    const [viaOther] = await other.append([send(["f"], 2)]);
    expect(viaOther).toMatchObject({ ok: true, baseOffset: 6 });
  });

  it("wraps sums and tells behind from ahead on the circle", () => {
    expect(addSequence(MAX, 1)).toBe(0);
    expect(addSequence(MAX - 1, 4)).toBe(2);
    expect(addSequence(0, -1)).toBe(MAX);
    const state = {
      epoch: 0,
      updatedAt: 0,
      batches: [{ firstSequence: MAX, lastSequence: MAX, baseOffset: 0, lastOffset: 0, timestamp: 0 }],
    };
    expect(checkProducer(state, { id: "p", epoch: 0, firstSequence: 0 }, 1)).toEqual({ kind: "accept" });
  });
});
