import { it } from "vitest";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { FakeClock } from "../support/fake-clock.js";
import { checkGroupHistory, formatGroupReport } from "./group-checker.js";
import { GroupWorld } from "./group-harness.js";
it("sweep", async () => {
  const bad: string[] = [];
  let tenures = 0, zombies = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const clock = new FakeClock();
    const world = new GroupWorld({ manifest: new MemoryManifestStore(), clock, pass: async (ms) => clock.advance(ms), seed, sessionTimeoutMs: 2000, tickMs: 250, partitions: 8, recordsPerPartition: 30, faults: { failBefore: 0.03, loseResponse: 0.05, maxDelayTurns: 3 } });
    await world.setUp();
    const h = await world.run({ rounds: 80, initialMembers: 3, maxMembers: 7, join: 0.25, crash: 0.06, leave: 0.05, pause: 0.06, produce: 0.4, drainRounds: 120 });
    const r = checkGroupHistory(h, { expectFullyCommitted: true });
    tenures += r.counts.tenures; zombies += r.counts.zombieAttempts;
    if (r.anomalies.length) bad.push(`seed ${seed}\n${formatGroupReport(r)}`);
  }
  console.log(bad.join("\n\n") || "all clean", tenures, zombies);
}, 300_000);
