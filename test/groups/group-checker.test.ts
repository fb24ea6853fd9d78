/** The checker itself: a clean history passes, and each anomaly it exists for is reported. */
import { describe, expect, it } from "vitest";
import { checkGroupHistory, type GroupAnomalyKind, type GroupHistory, type Tenure } from "./group-checker.js";

const values = new Map([
  [0, "v0"],
  [1, "v1"],
  [2, "v2"],
  [3, "v3"],
]);

function tenure(
  member: string,
  start: number,
  end: number | undefined,
  startOffset: number,
  offsets: number[],
): Tenure {
  return {
    member,
    partition: "t#0",
    start: { t: start, seq: start },
    ...(end !== undefined ? { end: { t: end, seq: end } } : {}),
    startOffset,
    consumed: offsets.map((offset) => ({ offset, value: values.get(offset) ?? "?" })),
  };
}

/** A: 0..1 then releases at 10; B: from 2 onwards. Committed 2 then 4. */
function cleanHistory(): GroupHistory {
  return {
    tenures: [tenure("A", 1, 10, 0, [0, 1]), tenure("B", 11, undefined, 2, [2, 3])],
    commits: [
      { member: "A", partition: "t#0", offset: 2, outcome: "ok", zombie: false },
      { member: "A", partition: "t#0", offset: 9, outcome: "stale", zombie: true },
      { member: "B", partition: "t#0", offset: 4, outcome: "ok", zombie: false },
    ],
    observations: [
      { round: 0, offsets: new Map([["t#0", 2]]) },
      { round: 1, offsets: new Map([["t#0", 4]]) },
    ],
    finals: [{ partition: "t#0", logStartOffset: 0, highWatermark: 4, values, committed: 4 }],
  };
}

function kinds(h: GroupHistory): GroupAnomalyKind[] {
  return checkGroupHistory(h, { expectFullyCommitted: true }).anomalies.map((a) => a.kind);
}

describe("checkGroupHistory", () => {
  it("finds nothing wrong with a clean handover", () => {
    // Act
    const report = checkGroupHistory(cleanHistory(), { expectFullyCommitted: true });
    // Assess
    expect(report.anomalies).toEqual([]);
    expect(report.counts).toMatchObject({ tenures: 2, consumed: 4, commitsOk: 2, zombieAttempts: 1 });
  });

  it("reports two live owners when tenures overlap", () => {
    // Prepare
    const h = cleanHistory();
    h.tenures[1]!.start = { t: 9, seq: 9 };
    // Act + Assess
    expect(kinds(h)).toEqual(["two live owners"]);
  });

  it("tells a lease end (seq 0) from an event at the same millisecond", () => {
    // Prepare: A's lease ended at t=11; B started at t=11 afterwards.
    const h = cleanHistory();
    h.tenures[0]!.end = { t: 11, seq: 0 };
    // Act + Assess
    expect(kinds(h)).toEqual([]);
  });

  it("reports a record nobody consumed", () => {
    // Prepare
    const h = cleanHistory();
    h.tenures[1] = tenure("B", 11, undefined, 3, [3]);
    // Act + Assess
    expect(kinds(h)).toEqual(["record never consumed"]);
  });

  it("reports a skip or reordering within a tenure", () => {
    // Prepare
    const h = cleanHistory();
    h.tenures[1] = tenure("B", 11, undefined, 2, [3, 2]);
    // Act + Assess
    expect(kinds(h)).toContain("out of order");
  });

  it("reports a value that is not the log's", () => {
    // Prepare
    const h = cleanHistory();
    h.tenures[1]!.consumed[0]!.value = "forged";
    // Act + Assess
    expect(kinds(h)).toEqual(["inconsistent value"]);
  });

  it("reports a committed offset that moved backwards, including at the final read", () => {
    // Prepare
    const h = cleanHistory();
    h.observations.push({ round: 2, offsets: new Map([["t#0", 3]]) });
    // Act + Assess
    expect(kinds(h)).toEqual(["committed offset regressed"]);
  });

  it("reports an accepted zombie commit and an offset beyond the log", () => {
    // Prepare
    const h = cleanHistory();
    h.commits[1]!.outcome = "ok";
    h.finals[0]!.committed = 9;
    // Act
    const found = kinds(h);
    // Assess
    expect(found).toContain("zombie commit accepted");
    expect(found).toContain("committed beyond high watermark");
  });

  it("reports a group that did not reach the end of the log when it should have", () => {
    // Prepare
    const h = cleanHistory();
    h.finals[0]!.committed = 3;
    h.observations = [];
    // Act + Assess
    expect(kinds(h)).toEqual(["not fully committed"]);
  });
});
