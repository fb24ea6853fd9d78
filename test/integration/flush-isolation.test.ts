/**
 * One flush of the agent's batcher carries many clients' appends to many partitions. What goes
 * wrong for one partition — a hostile producer id, a corrupt head, a head too big for one write —
 * must stay with that partition's appends: every other append gets its own true outcome, once.
 * Real batcher, real engine, in-memory stores.
 */
import { describe, expect, it } from "vitest";
import type { FloeError } from "../../client/src/errors.js";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import { Batcher } from "../../functions/src/agent/batcher.js";
import type { AppendOutcome, PartitionAppend } from "../../functions/src/engine/append-types.js";
import { appendFromBatches } from "../../functions/src/engine/batch-validation.js";
import { DEFAULT_RECORD_BYTES_MAX } from "../../functions/src/engine/committer.js";
import { DYNAMODB_ITEM_BYTES_MAX, manifestItemBytes } from "../../functions/src/engine/item-size.js";
import { chainPk, HEAD_SK, RECORD_PREFIX } from "../../functions/src/engine/keys.js";
import { FloeLog } from "../../functions/src/engine/log.js";
import type { ProducerState, TopicMeta } from "../../functions/src/engine/model.js";
import { systemClock } from "../../functions/src/ports/clock.js";
import type {
  ManifestItem,
  ManifestStore,
  WriteCondition,
} from "../../functions/src/ports/manifest-store.js";
import { batchOf } from "../support/engine-harness.js";

const FETCH_ALL = { maxBytes: 64 << 20, maxRecords: 100_000, clamp: false };

/** Records the size of every commit record written, so a test can prove none was over budget. */
class HeadSizeRecorder extends MemoryManifestStore {
  readonly headBytes: number[] = [];
  override async put(item: ManifestItem, condition: WriteCondition): Promise<void> {
    if (item.sk.startsWith(RECORD_PREFIX)) this.headBytes.push(manifestItemBytes(item));
    return super.put(item, condition);
  }
}

function stampP(firstSequence: number) {
  return { id: "p", epoch: 0, firstSequence };
}

function setup(manifest: ManifestStore = new MemoryManifestStore()) {
  const errors: unknown[] = [];
  const log = new FloeLog({
    objects: new MemoryObjectStore(),
    manifest,
    clock: systemClock,
    logError: (error) => errors.push(error),
  });
  // One flush for everything appended while the first flush is held back by linger: the flush is
  // cut by close() below, never by a timer, so the grouping does not depend on speed.
  const batcher = new Batcher({
    flush: (appends) => log.append(appends),
    lingerMs: 60_000,
    segmentBytesMax: 1 << 30,
    flushBytesMin: 1 << 30,
    inflightBytesMax: 1 << 30,
    maxConcurrentFlushes: 1,
  });
  return { log, batcher, manifest, errors };
}

/** Appends every request through the batcher, then closes it so they all go out as ONE flush. */
async function oneFlush(batcher: Batcher, requests: PartitionAppend[][]): Promise<AppendOutcome[][]> {
  const replies = requests.map((r) => batcher.append(r));
  await batcher.close();
  expect(batcher.stats.flushes).toBe(1);
  return Promise.all(replies);
}

/** `oneFlush` for requests of one append each: one outcome per request. */
async function oneFlushOfOnes(batcher: Batcher, requests: PartitionAppend[][]): Promise<AppendOutcome[]> {
  return (await oneFlush(batcher, requests)).map((outcomes) => {
    expect(outcomes).toHaveLength(1);
    return outcomes[0]!;
  });
}

async function values(log: FloeLog, topic: TopicMeta, partition: number): Promise<string[]> {
  const { decodeRecordBatches } = await import("../../client/src/format/index.js");
  const result = await log.fetch(topic.name, partition, { offset: 0 }, FETCH_ALL);
  return result.batches.flatMap((b) =>
    decodeRecordBatches(b.bytes).flatMap((d) => d.records.map((r) => new TextDecoder().decode(r.value!))),
  );
}

describe("one partition's failure stays with that partition", () => {
  it("a producer id naming an Object.prototype member fails only its own append, and the bystander is acknowledged once", async () => {
    // Prepare: engine-level appends, past the HTTP validation that refuses such ids with 400.
    const { log, batcher } = setup();
    const topic = await log.topics.create("iso-proto", 2);
    const bystander = appendFromBatches(topic, 0, batchOf(["bystander"], 1));
    const hostile = (id: string) =>
      appendFromBatches(topic, 1, batchOf([id], 1), { producer: { id, epoch: 0, firstSequence: 0 } });
    // Act
    const [ok, proto, ctor, toStr, hasOwn] = await oneFlushOfOnes(batcher, [
      [bystander],
      [hostile("__proto__")],
      [hostile("constructor")],
      [hostile("toString")],
      [hostile("hasOwnProperty")],
    ]);
    // Assess: the bystander has its offsets and is in the log exactly once.
    expect(ok).toEqual({ ok: true, baseOffset: 0, lastOffset: 0, duplicate: false });
    expect(await values(log, topic, 0)).toEqual(["bystander"]);
    // `__proto__` is outside the documented id set: refused, nothing written for it.
    expect(proto).toMatchObject({ ok: false, error: { code: "invalid_request" } });
    // The others are valid ids and, producers being a Map, plain producers.
    expect([ctor, toStr, hasOwn]).toEqual([
      { ok: true, baseOffset: 0, lastOffset: 0, duplicate: false },
      { ok: true, baseOffset: 1, lastOffset: 1, duplicate: false },
      { ok: true, baseOffset: 2, lastOffset: 2, duplicate: false },
    ]);
    const head = await log.head(topic, 1);
    expect([...head.producers.keys()].sort()).toEqual(["constructor", "hasOwnProperty", "toString"]);
    // A resend of `constructor`'s batch is a duplicate, not a second copy.
    const [again] = await log.append([hostile("constructor")]);
    expect(again).toEqual({ ok: true, baseOffset: 0, lastOffset: 0, duplicate: true });
    expect(await values(log, topic, 1)).toEqual(["constructor", "toString", "hasOwnProperty"]);
  });

  it("an unexpected exception planning one partition (corrupt producer state) fails only that partition's appends, as internal", async () => {
    // Prepare: partition 1's producer state, as this process holds it, is corrupt (no batches).
    const { log, batcher, errors } = setup();
    const topic = await log.topics.create("iso-corrupt", 3);
    await log.append([appendFromBatches(topic, 1, batchOf(["seed"], 1), { producer: stampP(0) })]);
    const state = log.committer.knownState(topic.topicId)!;
    const corrupt = { epoch: 0, updatedAt: Date.now(), batches: null } as unknown as ProducerState;
    state.producers.set(1, new Map([["p", corrupt]]));
    // Act
    const outcomes = await oneFlush(batcher, [
      [appendFromBatches(topic, 0, batchOf(["a"], 1))],
      [
        appendFromBatches(topic, 1, batchOf(["doomed"], 1), { producer: stampP(1) }),
        appendFromBatches(topic, 2, batchOf(["b"], 1)),
      ],
      [appendFromBatches(topic, 2, batchOf(["c"], 1))],
    ]);
    // Assess: partition 1 never reached its head write: internal, and nothing was written.
    expect(outcomes[0]).toEqual([{ ok: true, baseOffset: 0, lastOffset: 0, duplicate: false }]);
    expect(outcomes[1]![0]).toMatchObject({ ok: false, error: { code: "internal" } });
    expect(outcomes[1]![1]).toEqual({ ok: true, baseOffset: 0, lastOffset: 0, duplicate: false });
    expect(outcomes[2]).toEqual([{ ok: true, baseOffset: 1, lastOffset: 1, duplicate: false }]);
    expect(await values(log, topic, 0)).toEqual(["a"]);
    expect(await values(log, topic, 2)).toEqual(["b", "c"]);
    expect(await values(log, topic, 1)).toEqual(["seed"]);
    expect(errors).toHaveLength(1); // the cause is logged, not lost
  });

  it("an exception after a topic's head link was sent answers that topic's appends unavailable (outcome unknown)", async () => {
    // Prepare: topic B's head link throws a non-store error after it landed; topic A shares the flush.
    class ThrowsAfterWrite extends MemoryManifestStore {
      target = "";
      override async put(item: ManifestItem, condition: WriteCondition): Promise<void> {
        await super.put(item, condition);
        if (item.pk === this.target && item.sk === HEAD_SK)
          throw new TypeError("adapter bug after the write");
      }
    }
    const store = new ThrowsAfterWrite();
    const { log, batcher } = setup(store);
    const topicA = await log.topics.create("iso-unknown-a", 1);
    const topic = await log.topics.create("iso-unknown", 2);
    store.target = chainPk(topic.topicId);
    // Act
    const [a, b] = await oneFlushOfOnes(batcher, [
      [appendFromBatches(topicA, 0, batchOf(["a"], 1))],
      [appendFromBatches(topic, 1, batchOf(["b"], 1))],
    ]);
    // Assess
    expect(a).toEqual({ ok: true, baseOffset: 0, lastOffset: 0, duplicate: false });
    expect(b).toMatchObject({ ok: false, error: { code: "unavailable" } });
    expect((b as { error: FloeError }).error.sideEffectFree).toBe(false);
  });
});

describe("a flush with thousands of runs for one partition", () => {
  it("never writes a commit record over its byte budget and gives every append its true outcome", async () => {
    // Prepare: 6,000 appends to partition 0, accepted and refused (match_offset 999,999) in turn,
    // so every accepted one is a run of its own (3,000 entries: the flush needs several records,
    // each cut by append count under its byte budget); a bystander partition in the same flush.
    const manifest = new HeadSizeRecorder();
    const { log, batcher } = setup(manifest);
    const topic = await log.topics.create("iso-runs", 2);
    const requests: PartitionAppend[][] = [];
    for (let i = 0; i < 6_000; i++) {
      const refused = i % 2 === 1;
      requests.push([
        appendFromBatches(topic, 0, batchOf([`r${i}`], 1), refused ? { matchOffset: 999_999 } : {}),
      ]);
    }
    requests.push([appendFromBatches(topic, 1, batchOf(["bystander"], 1))]);
    // Act
    const outcomes = await oneFlush(batcher, requests);
    // Assess: accepted ones dense from 0 in request order, refused ones offset_mismatch.
    let next = 0;
    for (let i = 0; i < 6_000; i++) {
      const [outcome] = outcomes[i]!;
      if (i % 2 === 1) expect(outcome).toMatchObject({ ok: false, error: { code: "offset_mismatch" } });
      else expect(outcome).toEqual({ ok: true, baseOffset: next, lastOffset: next++, duplicate: false });
    }
    expect(outcomes[6_000]).toEqual([{ ok: true, baseOffset: 0, lastOffset: 0, duplicate: false }]);
    expect(Math.max(...manifest.headBytes)).toBeLessThanOrEqual(DYNAMODB_ITEM_BYTES_MAX);
    expect(Math.max(...manifest.headBytes)).toBeLessThanOrEqual(DEFAULT_RECORD_BYTES_MAX);
    expect(manifest.headBytes.length).toBeGreaterThan(3); // the flush took several records
    await log.settle();
    expect(await values(log, topic, 0)).toEqual(Array.from({ length: 3_000 }, (_, k) => `r${2 * k}`));
    expect((await log.tail(topic.name, 0)).highWatermark).toBe(3_000);
  });
});
