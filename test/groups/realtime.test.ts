/**
 * The churn once more on the real clock: leases of one second really run out while members keep
 * heartbeating, crash, and pause into zombies. A few seconds of wall time.
 */
import { expect, it } from "vitest";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { systemClock } from "../../functions/src/ports/clock.js";
import { checkGroupHistory, formatGroupReport } from "./group-checker.js";
import { GroupWorld } from "./group-harness.js";

it("keeps the group's guarantees with real one-second leases", async () => {
  // Prepare
  const world = new GroupWorld({
    manifest: new MemoryManifestStore(),
    clock: systemClock,
    pass: (ms) => systemClock.sleep(ms),
    seed: 5,
    sessionTimeoutMs: 1_000,
    tickMs: 100,
    partitions: 6,
    recordsPerPartition: 20,
    faults: { failBefore: 0.02, loseResponse: 0.03 },
  });
  await world.setUp();
  // Act
  const history = await world.run({
    rounds: 24,
    initialMembers: 3,
    maxMembers: 6,
    join: 0.2,
    crash: 0.03,
    leave: 0.03,
    pause: 0,
    produce: 0.4,
    pauseAt: [3],
    crashAt: [6],
    drainRounds: 60,
  });
  // Assess
  const report = checkGroupHistory(history, { expectFullyCommitted: true });
  if (report.anomalies.length > 0) throw new Error(formatGroupReport(report));
  expect(report.counts.zombieAttempts).toBeGreaterThan(0);
  expect(report.counts.commitsStale).toBeGreaterThanOrEqual(report.counts.zombieAttempts);
  expect(report.counts.tenures).toBeGreaterThan(6);
});
