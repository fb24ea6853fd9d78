/**
 * The classic group model run (classic-model.ts) over the in-memory manifest, for several seeds.
 * The seed is in the test name: rerun one with `-t "seed 7"`.
 */
import { describe, expect, it } from "vitest";
import { runModel } from "./classic-model.js";

describe("classic group model: members join, leave, crash; the coordinator fails over", () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seed ${seed}`, async () => {
      const report = await runModel({ seed, steps: 400, failoverRate: 0.01 });
      expect(report.violations).toEqual([]);
      expect(report.generations).toBeGreaterThan(3);
      expect(report.commitsAccepted).toBeGreaterThan(10);
    });
  }

  it("failovers and fenced zombie commits happen in these runs (the checks are exercised)", async () => {
    let failovers = 0;
    let fenced = 0;
    for (const seed of [11, 12]) {
      const report = await runModel({ seed, steps: 400, failoverRate: 0.02 });
      expect(report.violations).toEqual([]);
      failovers += report.failovers;
      fenced += report.commitsFenced;
    }
    expect(failovers).toBeGreaterThan(2);
    expect(fenced).toBeGreaterThan(0);
  });

  it("canary: with commits unchecked and unfenced the same runs report zombie commits and regressions", async () => {
    const violations: string[] = [];
    for (const seed of [1, 2, 3]) {
      violations.push(...(await runModel({ seed, steps: 400, unfencedCommits: true })).violations);
    }
    expect(violations.some((v) => v.includes("landed after"))).toBe(true);
    expect(violations.some((v) => v.includes("moved back"))).toBe(true);
  });
});
