import { describe, expect, it } from "vitest";
import { type AppendOp, checkHistory, type FinalRead, type Op, type ReadOp } from "../support/history.js";

// The checker guards every reliability test: each anomaly it claims to find, it must find.

function append(
  opId: number,
  values: string[],
  offsets: number[] | undefined,
  outcome: AppendOp["outcome"] = "ok",
  extra: Partial<AppendOp> = {},
): AppendOp {
  return {
    kind: "append",
    client: "c1",
    opId,
    partition: "t/0",
    values,
    invokedAt: opId * 10,
    completedAt: opId * 10 + 5,
    outcome,
    ...(offsets ? { offsets } : {}),
    idempotent: true,
    ...extra,
  };
}

function final(
  records: [number, string][],
  logStartOffset = 0,
  highWatermark = records.length + logStartOffset,
): FinalRead {
  return {
    partition: "t/0",
    logStartOffset,
    highWatermark,
    records: records.map(([offset, value]) => ({ offset, value })),
  };
}

function read(opId: number, records: [number, string][], highWatermark: number): ReadOp {
  return {
    kind: "read",
    client: "r1",
    opId,
    partition: "t/0",
    records: records.map(([offset, value]) => ({ offset, value })),
    highWatermark,
    invokedAt: opId * 10,
    completedAt: opId * 10 + 5,
  };
}

describe("history checker", () => {
  it("finds nothing in a clean history", () => {
    // Prepare
    const history: Op[] = [
      append(1, ["a", "b"], [0, 1]),
      append(2, ["c"], [2]),
      read(
        3,
        [
          [1, "b"],
          [2, "c"],
        ],
        3,
      ),
    ];
    // Act
    const report = checkHistory(history, [
      final([
        [0, "a"],
        [1, "b"],
        [2, "c"],
      ]),
    ]);
    // Assess
    expect(report.anomalies).toEqual([]);
    expect(report.counts.acknowledged).toBe(2);
  });

  it("finds a lost write", () => {
    const report = checkHistory([append(1, ["a"], [0]), append(2, ["b"], [1])], [final([[0, "a"]])]);
    expect(report.anomalies.map((a) => a.kind)).toContain("lost write");
  });

  it("finds an inconsistent offset between an ack and the log", () => {
    const report = checkHistory(
      [append(1, ["a"], [0]), append(2, ["b"], [0], "ok", { client: "c2" })],
      [
        final([
          [0, "a"],
          [1, "b"],
        ]),
      ],
    );
    expect(report.counts["inconsistent offset"]).toBeGreaterThan(0);
  });

  it("finds a duplicate of an idempotent write", () => {
    const dup = checkHistory(
      [append(1, ["a"], [0])],
      [
        final([
          [0, "a"],
          [1, "a"],
        ]),
      ],
    );
    expect(dup.counts.duplicate).toBe(1);
  });

  it("finds a duplicate the engine made of a non-idempotent write the client sent once", () => {
    // Prepare: an unknown outcome, never resent by the client, yet in the log twice.
    const history = [append(1, ["a"], undefined, "unknown", { idempotent: false })];
    // Act
    const report = checkHistory(history, [
      final([
        [0, "a"],
        [1, "a"],
      ]),
    ]);
    // Assess
    expect(report.counts.duplicate).toBe(1);
    expect(report.warnings).toEqual([]);
  });

  it("only warns for a non-idempotent value the client itself resent, and only up to its sends", () => {
    // Prepare: the client resent "a" once without idempotence after an unknown outcome.
    const resent = append(1, ["a"], undefined, "unknown", { idempotent: false, sends: 2 });
    // Act
    const twice = checkHistory(
      [resent],
      [
        final([
          [0, "a"],
          [1, "a"],
        ]),
      ],
    );
    const thrice = checkHistory(
      [resent],
      [
        final([
          [0, "a"],
          [1, "a"],
          [2, "a"],
        ]),
      ],
    );
    // Assess
    expect(twice.anomalies).toEqual([]);
    expect(twice.warnings).toHaveLength(1);
    expect(thrice.counts.duplicate).toBe(1);
  });

  it("finds a read that skips a committed offset inside what it returned", () => {
    // Prepare: 0, 1, 2 are committed; a read returns 0 and 2.
    const history = [
      append(1, ["a", "b", "c"], [0, 1, 2]),
      {
        ...read(
          2,
          [
            [0, "a"],
            [2, "c"],
          ],
          3,
        ),
        from: 0,
      },
    ];
    // Act
    const report = checkHistory(history, [
      final([
        [0, "a"],
        [1, "b"],
        [2, "c"],
      ]),
    ]);
    // Assess
    expect(report.counts["skipped offset"]).toBe(1);
  });

  it("finds a read from a committed offset that starts above it", () => {
    const history = [append(1, ["a", "b", "c"], [0, 1, 2]), { ...read(2, [[2, "c"]], 3), from: 1 }];
    const report = checkHistory(history, [
      final([
        [0, "a"],
        [1, "b"],
        [2, "c"],
      ]),
    ]);
    expect(report.counts["skipped offset"]).toBe(1);
    // A read from below the log start (moved up by retention) that starts at the log start is fine.
    const fine = checkHistory(
      [append(1, ["c"], [2]), { ...read(2, [[2, "c"]], 3), from: 1 }],
      [final([[2, "c"]], 2, 3)],
    );
    expect(fine.anomalies).toEqual([]);
  });

  it("finds a gap in the final read", () => {
    const report = checkHistory(
      [append(1, ["a"], [0]), append(2, ["b"], [2])],
      [
        final(
          [
            [0, "a"],
            [2, "b"],
          ],
          0,
          3,
        ),
      ],
    );
    expect(report.counts.gap).toBe(1);
  });

  it("finds a non-monotonic pair of appends by one client", () => {
    const report = checkHistory(
      [append(1, ["a"], [1]), append(2, ["b"], [0])],
      [
        final([
          [0, "b"],
          [1, "a"],
        ]),
      ],
    );
    expect(report.counts["non-monotonic"]).toBe(1);
  });

  it("finds an aborted read", () => {
    const report = checkHistory([append(1, ["a"], undefined, "fail")], [final([[0, "a"]])]);
    expect(report.counts["aborted read"]).toBe(1);
  });

  it("finds an early read beyond the reported high watermark", () => {
    const report = checkHistory(
      [
        append(1, ["a", "b"], [0, 1]),
        read(
          2,
          [
            [0, "a"],
            [1, "b"],
          ],
          1,
        ),
      ],
      [
        final([
          [0, "a"],
          [1, "b"],
        ]),
      ],
    );
    expect(report.counts["early read"]).toBe(1);
  });

  it("finds a value nobody wrote", () => {
    const report = checkHistory(
      [append(1, ["a"], [0])],
      [
        final([
          [0, "a"],
          [1, "zzz"],
        ]),
      ],
    );
    expect(report.counts["phantom read"]).toBe(1);
  });
});
