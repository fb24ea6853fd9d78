/**
 * Proof of the proof (testing.md § Mutation proofs): each reliability check is run over a
 * deliberately broken protocol and must report the anomaly that breakage causes, and over the
 * real protocol, where the very same workload must be clean. A suite nobody has seen fail proves
 * nothing. The mutants live in test/support/faults.ts (store wrappers: no engine change).
 */
import { describe, expect, it, vi } from "vitest";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import type { AppendOutcome } from "../../functions/src/engine/append-types.js";
import { appendFromBatches } from "../../functions/src/engine/batch-validation.js";
import { FloeLog } from "../../functions/src/engine/log.js";
import type { ManifestStore } from "../../functions/src/ports/manifest-store.js";
import { checkGroupHistory, formatGroupReport, type GroupAnomalyKind } from "../groups/group-checker.js";
import { GroupWorld } from "../groups/group-harness.js";
import { batchOf, finalRead, runRaceScenario } from "../support/engine-harness.js";
import { FakeClock } from "../support/fake-clock.js";
import {
  EntryBlindRecheckStore,
  LeaseFenceDroppedStore,
  LoseNextHeadResponse,
  ProducerEvictingStore,
  UnconditionalHeadStore,
} from "../support/faults.js";
import {
  type AnomalyKind,
  type AppendOp,
  type CheckReport,
  checkHistory,
  formatReport,
} from "../support/history.js";

// The verdict never depends on speed: a loaded machine (2 cores shared by many runs) only makes
// these seeded runs slower, so they get room instead of the default 60 s.
vi.setConfig({ testTimeout: 600_000 });

type Wrap = (inner: ManifestStore) => ManifestStore;
const real: Wrap = (inner) => inner;

function kinds(report: CheckReport): AnomalyKind[] {
  return report.anomalies.map((a) => a.kind);
}

function expectClean(report: CheckReport): void {
  if (report.anomalies.length > 0) throw new Error(formatReport(report));
}

/** What a client saw of one append (sent `sends` times; `outcome` is what the last send got). */
function appendOp(
  client: string,
  opId: number,
  values: string[],
  outcome: AppendOutcome,
  extra: Partial<AppendOp> = {},
): AppendOp {
  return {
    kind: "append",
    client,
    opId,
    partition: "0",
    values,
    invokedAt: opId,
    completedAt: opId + 1,
    idempotent: false,
    ...(outcome.ok
      ? { outcome: "ok" as const, offsets: values.map((_, k) => outcome.baseOffset + k) }
      : { outcome: outcome.error.code === "unavailable" ? ("unknown" as const) : ("fail" as const) }),
    ...extra,
  };
}

/**
 * Writer A's head write lands but its response is lost; before A looks again, writer B commits
 * on top, which moves A's entry out of the head's `pending` into an index item. Only the index
 * item can now tell A that its commit happened. Both appends are plain (no idempotent producer
 * to fall back on), and nobody resends anything.
 */
async function lostResponseOvertaken(wrap: Wrap): Promise<CheckReport> {
  // Prepare
  const clock = new FakeClock();
  const shared = new MemoryManifestStore();
  const objects = new MemoryObjectStore({ clock });
  const store = wrap(shared);
  const lossy = new LoseNextHeadResponse(store);
  const a = new FloeLog({ manifest: lossy, objects, clock, writerId: "a" });
  const b = new FloeLog({ manifest: store, objects, clock, writerId: "b" });
  const topic = await a.topics.create("overtaken", 1);
  const ops: AppendOp[] = [];
  lossy.arm(async () => {
    const [outcome] = await b.append([appendFromBatches(topic, 0, batchOf(["b-0"], clock.now()))]);
    ops.push(appendOp("b", 2, ["b-0"], outcome!));
  });
  // Act
  const [outcome] = await a.append([appendFromBatches(topic, 0, batchOf(["a-0"], clock.now()))]);
  ops.push(appendOp("a", 1, ["a-0"], outcome!));
  await a.settle();
  await b.settle();
  // Assess (by the caller)
  return checkHistory(ops, await finalRead(new FloeLog({ manifest: shared, objects, clock }), topic));
}

/**
 * An idempotent producer's batch lands through writer A, but the acknowledgement is lost on its
 * way to the client (the connection reset), so the client resends the same batch — same epoch,
 * same sequence — through writer B, which must recognise it from the head's producer state.
 */
async function lostAckRetriedElsewhere(wrap: Wrap): Promise<CheckReport> {
  // Prepare
  const clock = new FakeClock();
  const shared = new MemoryManifestStore();
  const objects = new MemoryObjectStore({ clock });
  const store = wrap(shared);
  const a = new FloeLog({ manifest: store, objects, clock, writerId: "a" });
  const b = new FloeLog({ manifest: store, objects, clock, writerId: "b" });
  const topic = await a.topics.create("evicted", 1);
  const send = () =>
    appendFromBatches(topic, 0, batchOf(["p-0", "p-1"], clock.now()), {
      producer: { id: "p", epoch: 0, firstSequence: 0 },
    });
  // Act
  await a.append([send()]); // landed; the client never hears of it
  const [retried] = await b.append([send()]);
  await a.settle();
  await b.settle();
  // Assess (by the caller)
  const op = appendOp("p", 1, ["p-0", "p-1"], retried!, { idempotent: true, sends: 2 });
  return checkHistory([op], await finalRead(new FloeLog({ manifest: shared, objects, clock }), topic));
}

describe("mutation proofs: the reliability checks fail on a broken protocol", () => {
  it("(a) an unconditional head write: the race workload loses or overwrites records", async () => {
    // Prepare / Act: the race suite's workload (3 agents, batchers, no faults), both ways.
    const run = (seed: number, wrap: Wrap) => {
      const clock = new FakeClock();
      return runRaceScenario({
        seed,
        clock,
        manifest: wrap(new MemoryManifestStore()),
        objects: new MemoryObjectStore({ clock }),
        maxDelayTurns: 3,
        faults: false,
        crashRate: 0,
      });
    };
    const unconditional: Wrap = (m) => new UnconditionalHeadStore(m);
    const mutant = [await run(1, unconditional), await run(2, unconditional)];
    const clean = [await run(1, real), await run(2, real)];
    // Assess
    const found = mutant.flatMap(kinds);
    expect(found.some((k) => k === "lost write" || k === "inconsistent offset")).toBe(true);
    for (const r of clean) expectClean(r);
  });

  it("(b) a lost-response check that ignores the record at its seq re-plans a landed commit: a duplicate", async () => {
    // Act
    const mutant = await lostResponseOvertaken((m) => new EntryBlindRecheckStore(m));
    const clean = await lostResponseOvertaken(real);
    // Assess
    expect(kinds(mutant)).toContain("duplicate");
    expectClean(clean);
    expect(clean.counts.acknowledged).toBe(2);
  });

  it("(c) a dropped group lease fence: a zombie's commit lands", async () => {
    // Prepare: the group suite's churn, with members paused past their lease (zombies).
    const run = async (wrap: Wrap) => {
      const clock = new FakeClock();
      const world = new GroupWorld({
        manifest: new MemoryManifestStore(),
        clock,
        pass: async (ms) => clock.advance(ms),
        seed: 7,
        sessionTimeoutMs: 2_000,
        tickMs: 250,
        partitions: 4,
        recordsPerPartition: 10,
        wrapManifest: wrap,
      });
      await world.setUp();
      return world.run({
        rounds: 30,
        initialMembers: 3,
        maxMembers: 5,
        join: 0.2,
        crash: 0,
        leave: 0,
        pause: 0.1,
        produce: 0.4,
        pauseAt: [4, 12],
        drainRounds: 60,
      });
    };
    // Act
    const mutant = checkGroupHistory(await run((m) => new LeaseFenceDroppedStore(m)), {
      expectFullyCommitted: false,
    });
    const clean = checkGroupHistory(await run(real), { expectFullyCommitted: true });
    // Assess
    const found: GroupAnomalyKind[] = mutant.anomalies.map((a) => a.kind);
    expect(found).toContain("zombie commit accepted");
    if (clean.anomalies.length > 0) throw new Error(formatGroupReport(clean));
    expect(clean.counts.zombieAttempts).toBeGreaterThan(0);
  });

  it("(d) a producer-state eviction writes a retried batch twice: a duplicate", async () => {
    // Act
    const mutant = await lostAckRetriedElsewhere((m) => new ProducerEvictingStore(m));
    const clean = await lostAckRetriedElsewhere(real);
    // Assess
    expect(kinds(mutant)).toContain("duplicate");
    expectClean(clean);
    expect(clean.counts.acknowledged).toBe(1);
  });
});
