/**
 * The race and crash scenarios again (agents behind batchers, crashes replacing instances),
 * through the AWS SDK against dynalite and s3rver (started by this file): real conditional
 * writes, real ranged GETs, real network interleavings.
 */
import { describe, expect, it, vi } from "vitest";
import { systemClock } from "../../functions/src/ports/clock.js";
import { runRaceScenario } from "../support/engine-harness.js";
import { UnconditionalHeadStore } from "../support/faults.js";
import { type CheckReport, formatReport } from "../support/history.js";
import { useStandIns } from "../support/standins.js";

// The verdict never depends on speed: a loaded machine (2 cores shared by many runs) only makes
// these seeded runs slower, so they get room instead of the default 60 s.
vi.setConfig({ testTimeout: 600_000, hookTimeout: 600_000 });

const standIns = useStandIns();

function expectClean(report: CheckReport, seed: number): void {
  if (report.anomalies.length > 0) throw new Error(`seed ${seed}:\n${formatReport(report)}`);
  expect(report.counts.acknowledged).toBeGreaterThan(0);
}

describe("concurrent writers over dynalite and s3rver", () => {
  it("lose, duplicate and reorder nothing with lost responses, landed writes answered ConditionFailed and idempotent retries through other agents", async () => {
    const s = standIns();
    for (const seed of [1, 2]) {
      const report = await runRaceScenario({
        seed,
        clock: systemClock,
        manifest: s.manifestStore,
        objects: s.objectStore,
        topicName: `faults-${seed}`,
        faults: true,
        crashRate: 0,
        clients: 6,
        opsPerClient: 12,
      });
      expectClean(report, seed);
    }
  });

  it("keep the log dense across crashes at every crash point", async () => {
    const s = standIns();
    const report = await runRaceScenario({
      seed: 3,
      clock: systemClock,
      manifest: s.manifestStore,
      objects: s.objectStore,
      topicName: "crashes",
      faults: false,
      crashRate: 0.1,
      clients: 6,
      opsPerClient: 12,
    });
    expectClean(report, 3);
  });

  it("are caught by the checker when the head write is unconditional", async () => {
    const s = standIns();
    const report = await runRaceScenario({
      seed: 4,
      clock: systemClock,
      manifest: new UnconditionalHeadStore(s.manifestStore),
      objects: s.objectStore,
      topicName: "broken",
      faults: false,
      crashRate: 0,
      clients: 6,
      opsPerClient: 12,
    });
    expect(report.anomalies.length).toBeGreaterThan(0);
  });
});
