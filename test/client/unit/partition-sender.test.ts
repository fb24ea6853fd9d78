/**
 * The partition sender against a model of the server's idempotence rules (Kafka's: the last 5
 * batches per producer are remembered, a duplicate is acknowledged with its first offsets, a gap
 * is refused), with requests delayed at random (so they overtake each other), responses lost
 * after the write, and writes refused before it. Seeded: a failing seed replays.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FloeError } from "../../../client/src/errors.js";
import type { RecordInput } from "../../../client/src/format/index.js";
import { PRODUCER_BATCHES_KEPT } from "../../../client/src/idempotence.js";
import { PartitionSender, type PendingBatch } from "../../../client/src/sdk/partition-sender.js";
import type { AppendResult } from "../../../client/src/sdk/produce-request.js";
import { seededRandom } from "../../support/faults.js";

interface ModelOptions {
  lossRate: number;
  refuseRate: number;
  maxDelayMs: number;
  random: () => number;
  idempotent: boolean;
}

/** The server side, as commit-plan.ts decides it, reduced to what the sender can observe. */
class ServerModel {
  readonly log: string[] = [];
  private batches: { first: number; last: number; base: number; epoch: number }[] = [];
  private epoch = -1;
  writes = 0;

  constructor(private readonly o: ModelOptions) {}

  async send(batch: PendingBatch): Promise<AppendResult> {
    await new Promise((r) => setTimeout(r, Math.floor(this.o.random() * this.o.maxDelayMs)));
    if (this.o.random() < this.o.refuseRate)
      throw new FloeError("throttled", "injected: refused before the write");
    const result = this.apply(batch);
    if (this.o.random() < this.o.lossRate)
      throw new FloeError("unavailable", "injected: response lost after the write");
    return result;
  }

  /** The write itself, as the partition head decides it. */
  apply(batch: PendingBatch): AppendResult {
    const values = batch.records.map((r) => new TextDecoder().decode(r.value!));
    const stamp = batch.stamp;
    if (this.o.idempotent) {
      if (!stamp) throw new Error("an idempotent sender must stamp");
      const first = stamp.baseSequence;
      const last = first + values.length - 1;
      if (stamp.epoch < this.epoch) throw new FloeError("producer_fenced", "fenced");
      if (stamp.epoch > this.epoch) {
        if (first !== 0)
          throw new FloeError("out_of_order_sequence", "new epoch must start at 0", { expected_sequence: 0 });
        this.epoch = stamp.epoch;
        this.batches = [];
      } else {
        const dup = this.batches.find((b) => b.first === first && b.last === last);
        if (dup) return { baseOffset: dup.base, lastOffset: dup.base + values.length - 1 };
        const expected = (this.batches.at(-1)?.last ?? -1) + 1;
        if (first < expected)
          throw new FloeError("out_of_order_sequence", "older than the last 5 batches", {
            expected_sequence: expected,
          });
        if (first !== expected)
          throw new FloeError("out_of_order_sequence", "gap", { expected_sequence: expected });
      }
      this.batches.push({ first, last, base: this.log.length, epoch: stamp.epoch });
      this.batches = this.batches.slice(-PRODUCER_BATCHES_KEPT);
    }
    const base = this.log.length;
    this.log.push(...values);
    this.writes++;
    return { baseOffset: base, lastOffset: this.log.length - 1 };
  }
}

function record(value: string): RecordInput {
  return { key: null, value: new TextEncoder().encode(value), headers: [], timestamp: 0 };
}

interface Outcome {
  values: string[];
  result: AppendResult | undefined;
  error: unknown;
}

async function run(seed: number, o: Omit<ModelOptions, "random">, batches: number, maxInFlight: number) {
  const random = seededRandom(seed);
  const server = new ServerModel({ ...o, random });
  let settledCount = 0;
  const sender = new PartitionSender({
    topic: "t",
    partition: 0,
    producerId: o.idempotent ? 42 : undefined,
    maxInFlight,
    compression: "none",
    backoff: { initialMs: 1, maxMs: 2 },
    send: (b) => server.send(b),
    settled: () => settledCount++,
  });
  const outcomes: Promise<Outcome>[] = [];
  for (let i = 0; i < batches; i++) {
    const values = Array.from({ length: 1 + Math.floor(random() * 3) }, (_, j) => `b${i}r${j}`);
    outcomes.push(
      new Promise<Outcome>((resolve) => {
        sender.enqueue({
          records: values.map(record),
          bytes: 10,
          deadlineMs: Date.now() + 60_000,
          attempts: 0,
          unknownOutcome: false,
          resolve: (result) => resolve({ values, result, error: undefined }),
          reject: (error) => resolve({ values, result: undefined, error }),
        });
      }),
    );
  }
  const settled = await Promise.all(outcomes);
  return { server, settled, settledCount };
}

describe("PartitionSender", () => {
  it("delivers every batch exactly once and in order despite lost responses, refusals and overtaking", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        // Prepare / Act
        const { server, settled, settledCount } = await run(
          seed,
          { lossRate: 0.2, refuseRate: 0.1, maxDelayMs: 4, idempotent: true },
          30,
          5,
        );
        // Assess: nothing failed, the log is exactly the batches in order, each ack points at its records.
        expect(settledCount).toBe(30);
        expect(settled.filter((s) => s.error !== undefined)).toEqual([]);
        expect(server.log).toEqual(settled.flatMap((s) => s.values));
        for (const s of settled) {
          expect(server.log.slice(s.result!.baseOffset, s.result!.lastOffset + 1)).toEqual(s.values);
        }
      }),
      { numRuns: 25 },
    );
  });

  it("pipelines: with no faults, several requests are in flight at once", async () => {
    // Prepare
    let inFlight = 0;
    let peak = 0;
    const sender = new PartitionSender({
      topic: "t",
      partition: 0,
      producerId: 7,
      maxInFlight: 5,
      compression: "none",
      send: async (b) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return { baseOffset: b.stamp!.baseSequence, lastOffset: b.stamp!.baseSequence };
      },
      settled: () => {},
    });
    // Act
    const done = Array.from(
      { length: 12 },
      () =>
        new Promise<AppendResult>((resolve, reject) =>
          sender.enqueue({
            records: [record("x")],
            bytes: 1,
            deadlineMs: Date.now() + 1000,
            attempts: 0,
            unknownOutcome: false,
            resolve,
            reject,
          }),
        ),
    );
    const results = await Promise.all(done);
    // Assess
    expect(peak).toBe(5);
    expect(results.map((r) => r.baseOffset)).toEqual([...Array(12).keys()]);
  });

  it("does not retry an unknown outcome without idempotence (it could duplicate)", async () => {
    // Prepare
    let calls = 0;
    const sender = new PartitionSender({
      topic: "t",
      partition: 0,
      producerId: undefined,
      maxInFlight: 1,
      compression: "none",
      send: async () => {
        calls++;
        throw new FloeError("unavailable", "lost");
      },
      settled: () => {},
    });
    // Act
    const error = await new Promise<unknown>((resolve) =>
      sender.enqueue({
        records: [record("x")],
        bytes: 1,
        deadlineMs: Date.now() + 1000,
        attempts: 0,
        unknownOutcome: false,
        resolve: () => resolve(undefined),
        reject: resolve,
      }),
    );
    // Assess
    expect(error).toBeInstanceOf(FloeError);
    expect((error as FloeError).code).toBe("unavailable");
    expect(calls).toBe(1);
    expect(sender.pending).toBe(0);
  });

  it("fails a batch the server refuses for good, and restamps the ones behind it under a new epoch", async () => {
    // Prepare: the second batch is too large for the server; the others must still land in order.
    const random = seededRandom(3);
    const server = new ServerModel({ lossRate: 0, refuseRate: 0, maxDelayMs: 3, random, idempotent: true });
    const sender = new PartitionSender({
      topic: "t",
      partition: 0,
      producerId: 9,
      maxInFlight: 5,
      compression: "none",
      backoff: { initialMs: 1, maxMs: 1 },
      send: async (b) => {
        if (new TextDecoder().decode(b.records[0]!.value!) === "too-large") {
          await new Promise((r) => setTimeout(r, 2));
          throw new FloeError("record_too_large", "limit 10 bytes");
        }
        return server.send(b);
      },
      settled: () => {},
    });
    // Act
    const values = ["a", "too-large", "c", "d", "e"];
    const outcomes = await Promise.all(
      values.map(
        (v) =>
          new Promise<string>((resolve) =>
            sender.enqueue({
              records: [record(v)],
              bytes: 1,
              deadlineMs: Date.now() + 5000,
              attempts: 0,
              unknownOutcome: false,
              resolve: () => resolve("ok"),
              reject: (e) => resolve((e as FloeError).code),
            }),
          ),
      ),
    );
    // Assess
    expect(outcomes).toEqual(["ok", "record_too_large", "ok", "ok", "ok"]);
    expect(server.log).toEqual(["a", "c", "d", "e"]);
  });

  it("gives up at the delivery deadline with the last error", async () => {
    // Prepare
    const sender = new PartitionSender({
      topic: "t",
      partition: 0,
      producerId: 1,
      maxInFlight: 5,
      compression: "none",
      backoff: { initialMs: 5, maxMs: 5 },
      send: async () => {
        throw new FloeError("throttled", "slow down");
      },
      settled: () => {},
    });
    const startedAt = Date.now();
    // Act
    const error = await new Promise<unknown>((resolve) =>
      sender.enqueue({
        records: [record("x")],
        bytes: 1,
        deadlineMs: Date.now() + 60,
        attempts: 0,
        unknownOutcome: false,
        resolve: () => resolve(undefined),
        reject: resolve,
      }),
    );
    // Assess
    expect((error as FloeError).code).toBe("throttled");
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(55);
  });
});

/**
 * A transport whose replies the test releases by hand: each send is written to the server model at
 * once (the write happens), but its reply waits until `ack(i)` or `lose(i)`. No timers decide the
 * verdict: only which replies were released.
 */
class HeldReplies {
  readonly server = new ServerModel({
    lossRate: 0,
    refuseRate: 0,
    maxDelayMs: 0,
    random: () => 0,
    idempotent: true,
  });
  /** Every attempt, in send order: the batch's first value and how to answer it. */
  readonly sends: { value: string; ack(): void; lose(): void }[] = [];
  /** Answer new sends at once (after the held ones were released). */
  autoAck = false;

  send(batch: PendingBatch): Promise<AppendResult> {
    const value = new TextDecoder().decode(batch.records[0]!.value!);
    let outcome: { result: AppendResult } | { error: unknown };
    try {
      outcome = { result: this.server.apply(batch) };
    } catch (error) {
      outcome = { error };
    }
    return new Promise<AppendResult>((resolve, reject) => {
      const answer = () => ("result" in outcome ? resolve(outcome.result) : reject(outcome.error));
      this.sends.push({
        value,
        ack: answer,
        lose: () => reject(new FloeError("unavailable", "injected: response lost after the write")),
      });
      if (this.autoAck) answer();
    });
  }

  sent(): string[] {
    return this.sends.map((s) => s.value);
  }
}

/** Lets every settled promise run its callbacks (no time passes that a verdict depends on). */
const drain = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("PartitionSender's in-flight window (the server remembers the last 5 batches)", () => {
  function enqueueAll(sender: PartitionSender, values: string[]): Promise<Outcome>[] {
    return values.map(
      (v) =>
        new Promise<Outcome>((resolve) =>
          sender.enqueue({
            records: [record(v)],
            bytes: 1,
            deadlineMs: Date.now() + 60_000,
            attempts: 0,
            unknownOutcome: false,
            resolve: (result) => resolve({ values: [v], result, error: undefined }),
            reject: (error) => resolve({ values: [v], result: undefined, error }),
          }),
        ),
    );
  }

  function sender(transport: HeldReplies): PartitionSender {
    return new PartitionSender({
      topic: "t",
      partition: 0,
      producerId: 11,
      maxInFlight: PRODUCER_BATCHES_KEPT,
      compression: "none",
      backoff: { initialMs: 1, maxMs: 1 },
      send: (b) => transport.send(b),
      settled: () => {},
    });
  }

  it("does not send batch k+5 while batch k is unacknowledged, even with k+1..k+4 acknowledged", async () => {
    // Prepare
    const transport = new HeldReplies();
    const values = Array.from({ length: 10 }, (_, i) => `b${i}`);
    const outcomes = enqueueAll(sender(transport), values);
    // Act: b0's reply is held, b1..b4 are acknowledged.
    expect(transport.sent()).toEqual(["b0", "b1", "b2", "b3", "b4"]);
    for (let i = 1; i < PRODUCER_BATCHES_KEPT; i++) transport.sends[i]!.ack();
    await drain();
    // Assess: nothing beyond the window while b0 is unanswered.
    expect(transport.sent()).toEqual(["b0", "b1", "b2", "b3", "b4"]);
    // Act: b0 acknowledged; the window slides.
    transport.autoAck = true;
    transport.sends[0]!.ack();
    const settled = await Promise.all(outcomes);
    // Assess
    expect(settled.filter((s) => s.error !== undefined)).toEqual([]);
    expect(transport.server.log).toEqual(values);
  });

  it("acknowledges a lost-response retry of batch k with its original offsets after k+4 landed", async () => {
    // Prepare
    const transport = new HeldReplies();
    const values = Array.from({ length: 10 }, (_, i) => `b${i}`);
    const outcomes = enqueueAll(sender(transport), values);
    // Act: b0..b4 are written; from now on every new send is answered at once, b0's reply is
    // held while b1..b4 are acknowledged, then lost.
    transport.autoAck = true;
    for (let i = 1; i < PRODUCER_BATCHES_KEPT; i++) transport.sends[i]!.ack();
    await drain();
    transport.sends[0]!.lose();
    const settled = await Promise.all(outcomes);
    // Assess: b0 is reported written, at offset 0 where it is; nothing is duplicated.
    expect(settled.filter((s) => s.error !== undefined)).toEqual([]);
    expect(settled[0]!.result).toEqual({ baseOffset: 0, lastOffset: 0 });
    expect(transport.server.log).toEqual(values);
    for (const [i, s] of settled.entries()) expect(s.result!.baseOffset).toBe(i);
  });

  it("keeps the window when a recovery resends several batches", async () => {
    // Prepare: b0 and b2 lose their replies, b1, b3, b4 are acknowledged.
    const transport = new HeldReplies();
    const values = Array.from({ length: 12 }, (_, i) => `b${i}`);
    const outcomes = enqueueAll(sender(transport), values);
    // Act
    transport.autoAck = true;
    for (const i of [1, 3, 4]) transport.sends[i]!.ack();
    await drain();
    transport.sends[2]!.lose();
    transport.sends[0]!.lose();
    const settled = await Promise.all(outcomes);
    // Assess: both retries were duplicates acknowledged with their offsets; the log is exact.
    expect(settled.filter((s) => s.error !== undefined)).toEqual([]);
    expect(transport.server.log).toEqual(values);
    for (const [i, s] of settled.entries()) expect(s.result!.baseOffset).toBe(i);
    expect(transport.sent().slice(5, 7)).toEqual(["b0", "b2"]);
  });
});
