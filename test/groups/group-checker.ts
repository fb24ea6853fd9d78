/**
 * The consumer-group history checker (testing.md § group offset regression, and issue 6's "done
 * when"). It sees only what the simulated members saw: when each held each partition (tenures),
 * what they consumed, every commit and its outcome, the committed offsets observed between rounds,
 * and a final read of the log. It knows nothing of the coordinator's internals.
 */

/** A point in the history: clock time, then a global sequence number for events at the same time. */
export interface Stamp {
  t: number;
  seq: number;
}

/** One member's uninterrupted hold on one partition. */
export interface Tenure {
  member: string;
  partition: string;
  start: Stamp;
  /** Release, crash, or the end of its lease (seq 0 at the lease's end time); undefined: still held. */
  end?: Stamp;
  /** The position consumption started from (the committed offset read after acquiring). */
  startOffset?: number;
  consumed: { offset: number; value: string }[];
}

export interface CommitAttempt {
  member: string;
  partition: string;
  offset: number;
  outcome: "ok" | "stale" | "unknown";
  /** Sent by a member whose lease had certainly ended on the server: must be rejected. */
  zombie: boolean;
}

export interface OffsetObservation {
  round: number;
  offsets: Map<string, number>;
}

export interface FinalPartition {
  partition: string;
  logStartOffset: number;
  highWatermark: number;
  values: Map<number, string>;
  committed: number | undefined;
}

export interface GroupHistory {
  tenures: Tenure[];
  commits: CommitAttempt[];
  observations: OffsetObservation[];
  finals: FinalPartition[];
}

export type GroupAnomalyKind =
  | "two live owners"
  | "record never consumed"
  | "out of order"
  | "inconsistent value"
  | "committed offset regressed"
  | "zombie commit accepted"
  | "committed beyond high watermark"
  | "not fully committed";

export interface GroupAnomaly {
  kind: GroupAnomalyKind;
  detail: string;
}

export interface GroupReport {
  anomalies: GroupAnomaly[];
  counts: {
    tenures: number;
    consumed: number;
    redelivered: number;
    commitsOk: number;
    commitsStale: number;
    zombieAttempts: number;
  };
}

export function before(a: Stamp, b: Stamp): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

export function checkGroupHistory(h: GroupHistory, options: { expectFullyCommitted: boolean }): GroupReport {
  const anomalies: GroupAnomaly[] = [];
  const add = (kind: GroupAnomalyKind, detail: string) => anomalies.push({ kind, detail });
  const finals = new Map(h.finals.map((f) => [f.partition, f]));

  // No partition is held by two members at any point: tenures of one partition never overlap.
  const byPartition = new Map<string, Tenure[]>();
  for (const t of h.tenures) byPartition.set(t.partition, [...(byPartition.get(t.partition) ?? []), t]);
  for (const [partition, tenures] of byPartition) {
    for (let i = 0; i < tenures.length; i++) {
      for (let j = i + 1; j < tenures.length; j++) {
        const a = tenures[i]!;
        const b = tenures[j]!;
        const overlap = (!b.end || before(a.start, b.end)) && (!a.end || before(b.start, a.end));
        if (overlap)
          add("two live owners", `${partition}: ${a.member} ${span(a)} and ${b.member} ${span(b)}`);
      }
    }
  }

  // Within one tenure a member reads its partition in order, without skipping.
  let consumed = 0;
  const seen = new Map<string, Map<number, number>>();
  for (const t of h.tenures) {
    let expected = t.startOffset;
    for (const r of t.consumed) {
      consumed++;
      if (expected !== undefined && r.offset !== expected) {
        add("out of order", `${t.member} read ${t.partition}@${r.offset} after expecting ${expected}`);
      }
      expected = r.offset + 1;
      const value = finals.get(t.partition)?.values.get(r.offset);
      if (value !== r.value)
        add("inconsistent value", `${t.partition}@${r.offset}: read ${r.value}, log has ${value}`);
      const counts = seen.get(t.partition) ?? new Map<number, number>();
      counts.set(r.offset, (counts.get(r.offset) ?? 0) + 1);
      seen.set(t.partition, counts);
    }
  }

  // Every record is consumed at least once; the group's final position is the end of the log.
  let redelivered = 0;
  for (const f of h.finals) {
    const counts = seen.get(f.partition) ?? new Map<number, number>();
    for (let o = f.logStartOffset; o < f.highWatermark; o++) {
      const n = counts.get(o) ?? 0;
      if (n === 0) add("record never consumed", `${f.partition}@${o}`);
      redelivered += Math.max(0, n - 1);
    }
    if (f.committed !== undefined && f.committed > f.highWatermark) {
      add("committed beyond high watermark", `${f.partition}: committed ${f.committed} > ${f.highWatermark}`);
    }
    if (options.expectFullyCommitted && f.committed !== f.highWatermark) {
      add("not fully committed", `${f.partition}: committed ${f.committed} of ${f.highWatermark}`);
    }
  }

  // Committed offsets never move backwards (no reset happens during these runs).
  const last = new Map<string, { round: number; offset: number }>();
  const observations = [
    ...h.observations,
    { round: Number.POSITIVE_INFINITY, offsets: finalOffsets(h.finals) },
  ];
  for (const o of observations) {
    for (const [partition, offset] of o.offsets) {
      const previous = last.get(partition);
      if (previous && offset < previous.offset) {
        add(
          "committed offset regressed",
          `${partition}: ${previous.offset} (round ${previous.round}) -> ${offset} (round ${o.round})`,
        );
      }
      last.set(partition, { round: o.round, offset });
    }
  }

  // A member whose lease had ended cannot move offsets.
  for (const c of h.commits) {
    if (c.zombie && c.outcome === "ok")
      add("zombie commit accepted", `${c.member} committed ${c.partition}@${c.offset}`);
  }

  return {
    anomalies,
    counts: {
      tenures: h.tenures.length,
      consumed,
      redelivered,
      commitsOk: h.commits.filter((c) => c.outcome === "ok").length,
      commitsStale: h.commits.filter((c) => c.outcome === "stale").length,
      zombieAttempts: h.commits.filter((c) => c.zombie).length,
    },
  };
}

function finalOffsets(finals: readonly FinalPartition[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of finals) if (f.committed !== undefined) out.set(f.partition, f.committed);
  return out;
}

function span(t: Tenure): string {
  return `[${t.start.t}/${t.start.seq}, ${t.end ? `${t.end.t}/${t.end.seq}` : "end"})`;
}

export function formatGroupReport(report: GroupReport): string {
  const lines = [`counts: ${JSON.stringify(report.counts)}`];
  for (const a of report.anomalies.slice(0, 30)) lines.push(`${a.kind}: ${a.detail}`);
  if (report.anomalies.length > 30) lines.push(`... and ${report.anomalies.length - 30} more`);
  return lines.join("\n");
}
