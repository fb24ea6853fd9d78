/**
 * Several writers (engine instances sharing one manifest and one bucket) append concurrently to
 * the same partitions, with idempotent retries through different writers, injected faults
 * (requests failing, responses lost after the write) and crashes at every crash point. The
 * history checker must find nothing. test/reliability/mutation-proofs.test.ts runs the same
 * workload over deliberately broken protocols and must see it fail.
 */
import fc from "fast-check";
import { describe, expect, it, vi } from "vitest";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import { appendFromBatches } from "../../functions/src/engine/batch-validation.js";
import { chainPk, HEAD_SK } from "../../functions/src/engine/keys.js";
import { FloeLog } from "../../functions/src/engine/log.js";
import type { ManifestStore } from "../../functions/src/ports/manifest-store.js";
import {
  batchOf,
  Cluster,
  CrashError,
  finalRead,
  type RaceResult,
  runRaceScenario as runScenario,
} from "../support/engine-harness.js";
import { FakeClock } from "../support/fake-clock.js";
import { FaultyManifestStore, ProcessDeadError, seededRandom } from "../support/faults.js";
import { type CheckReport, formatReport } from "../support/history.js";

// The verdict never depends on speed: a loaded machine (2 cores shared by many runs) only makes
// these seeded runs slower, so they get room instead of the default 60 s.
vi.setConfig({ testTimeout: 600_000 });

/** Everything in memory with a fake clock: a seed replays exactly. */
function runSeed(o: {
  seed: number;
  manifest?: ManifestStore;
  faults: boolean;
  crashRate: number;
  clients?: number;
  opsPerClient?: number;
}): Promise<RaceResult> {
  const clock = new FakeClock();
  return runScenario({
    ...o,
    clock,
    manifest: o.manifest ?? new MemoryManifestStore(),
    objects: new MemoryObjectStore({ clock }),
    maxDelayTurns: 3,
  });
}

function expectClean(report: CheckReport, seed: number): void {
  if (report.anomalies.length > 0) throw new Error(`seed ${seed}:\n${formatReport(report)}`);
  expect(report.counts.acknowledged).toBeGreaterThan(0);
}

describe("concurrent writers over the in-memory adapters", () => {
  it("lose, duplicate and reorder nothing with faults, landed writes answered ConditionFailed and idempotent retries through other agents", async () => {
    const seen = {
      landedThenConditionFailed: 0,
      lostResponses: 0,
      flushes: 0,
      appends: 0,
      multiPartitionFlushes: 0,
    };
    for (let seed = 1; seed <= 12; seed++) {
      const report = await runSeed({ seed, faults: true, crashRate: 0 });
      expectClean(report, seed);
      for (const k of Object.keys(seen) as (keyof typeof seen)[]) seen[k] += report.stats[k];
    }
    // The run exercised what it claims: landed-then-ConditionFailed writes, lost responses, and
    // batcher flushes carrying several requests (across clients and partitions).
    expect(seen.landedThenConditionFailed).toBeGreaterThan(0);
    expect(seen.lostResponses).toBeGreaterThan(0);
    expect(seen.appends).toBeGreaterThan(seen.flushes);
    expect(seen.multiPartitionFlushes).toBeGreaterThan(0);
  });

  it("keep the log dense and every acknowledged record readable across crashes at every crash point", async () => {
    let crashes = 0;
    for (let seed = 100; seed <= 111; seed++) {
      const report = await runSeed({ seed, faults: false, crashRate: 0.08 });
      expectClean(report, seed);
      crashes += report.stats.crashes;
    }
    expect(crashes).toBeGreaterThan(5);
  });

  it("hold under hundreds of seeded interleavings with faults and crashes (model-based)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), async (seed) => {
        const report = await runSeed({ seed, faults: true, crashRate: 0.03, clients: 4, opsPerClient: 8 });
        expectClean(report, seed);
      }),
      { numRuns: 200 },
    );
  });
});

describe("process death and evidence of a landed write", () => {
  it("a crash abandons the instance: its claimed record is never linked by it, a new instance links it and loses nothing", async () => {
    // Prepare: one agent that dies at its first "before-entry-write": its record is claimed, not linked.
    const clock = new FakeClock();
    const manifest = new MemoryManifestStore();
    const objects = new MemoryObjectStore({ clock });
    let crashed = false;
    const cluster = new Cluster({
      manifest,
      objects,
      clock,
      agents: 1,
      random: seededRandom(1),
      crashWhen: (point) => {
        if (point !== "before-entry-write" || crashed) return false;
        crashed = true;
        return true;
      },
    });
    const dead = cluster.agents[0]!;
    const topic = await dead.log.topics.create("crash", 1);
    const headKey = [chainPk(topic.topicId), HEAD_SK] as const;
    // Act
    const first = dead.batcher.append([appendFromBatches(topic, 0, batchOf(["x-0"], clock.now()))]);
    await expect(first).rejects.toBeInstanceOf(CrashError);
    await dead.log.settle();
    // Assess: the dead instance wrote nothing after its death (no link) and answers nothing...
    expect(await manifest.get(...headKey)).toBeUndefined();
    await expect(dead.log.tail("crash", 0)).rejects.toBeInstanceOf(ProcessDeadError);
    // ...a new instance (no memory of the old one) serves the slot, finds the claim at seq 1, links
    // it (the dead writer's records were never acknowledged, but they were durable) and goes on.
    const fresh = cluster.agents[0]!;
    expect(fresh.name).toBe("agent-0.1");
    const [next] = await fresh.batcher.append([appendFromBatches(topic, 0, batchOf(["x-1"], clock.now()))]);
    expect(next).toMatchObject({ ok: true, baseOffset: 1 });
    await cluster.drain();
    const [final] = await finalRead(new FloeLog({ manifest, objects, clock }), topic);
    expect(final!.records.map((r) => r.value)).toEqual(["x-0", "x-1"]);
    expect((await manifest.get(...headKey))?.data.seq).toBe(2);
  });

  it("every conditional write landing and then answered ConditionFailed (the SDK's retry) still commits each append once", async () => {
    // Prepare: every conditional put lands, then its "retry" hits the condition it made false.
    const clock = new FakeClock();
    const shared = new MemoryManifestStore();
    const objects = new MemoryObjectStore({ clock });
    const manifest = new FaultyManifestStore(shared, seededRandom(2), {
      failBefore: 0,
      loseResponse: 0,
      landThenConditionFail: 1,
    });
    manifest.enabled = false;
    const log = new FloeLog({ manifest, objects, clock });
    const topic = await log.topics.create("landed", 1);
    manifest.enabled = true;
    // Act
    const outcomes = [];
    for (const v of ["a", "b", "c"])
      outcomes.push(...(await log.append([appendFromBatches(topic, 0, batchOf([v], clock.now()))])));
    await log.settle();
    // Assess: found its own commit by evidence each time, never re-planned it as new.
    expect(outcomes.map((o) => (o.ok ? o.baseOffset : o.error.code))).toEqual([0, 1, 2]);
    expect(manifest.stats.landedThenConditionFailed).toBeGreaterThanOrEqual(3);
    const [final] = await finalRead(new FloeLog({ manifest: shared, objects, clock }), topic);
    expect(final!.records.map((r) => r.value)).toEqual(["a", "b", "c"]);
  });
});
