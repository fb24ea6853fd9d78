/**
 * The history checker (../shared/brief/testing.md). Clients record every operation with its
 * invoke and completion; after a final read of everything, `checkHistory` looks for the anomalies
 * the most trusted logs are tested for. It knows nothing of Floe's internals: it sees only what a
 * client saw.
 */

export type Outcome = "ok" | "fail" | "unknown";

export interface AppendOp {
  kind: "append";
  client: string;
  opId: number;
  partition: string;
  /** Unique values written by this op, in order. */
  values: string[];
  invokedAt: number;
  completedAt: number;
  outcome: Outcome;
  /** Offsets the log returned for `values` (ok only). */
  offsets?: number[];
  /** The error code of a definite failure. */
  error?: string;
  /** Written with an idempotent producer: a duplicate is then an anomaly, not a warning. */
  idempotent: boolean;
  /**
   * How many times the client sent `values` (1 unless it resent them after an unknown outcome).
   * Only a value the client itself resent without idempotence may appear more than once, and at
   * most this many times; any other duplicate was made by the log and is an anomaly.
   */
  sends?: number;
}

export interface ReadOp {
  kind: "read";
  client: string;
  opId: number;
  partition: string;
  records: { offset: number; value: string }[];
  /** The high watermark the read reported alongside its records. */
  highWatermark: number;
  /** The offset the read asked to start at (when known): starting above it is a skip. */
  from?: number;
  invokedAt: number;
  completedAt: number;
}

export type Op = AppendOp | ReadOp;

export interface FinalRead {
  partition: string;
  logStartOffset: number;
  highWatermark: number;
  records: { offset: number; value: string }[];
}

export type AnomalyKind =
  | "lost write"
  | "inconsistent offset"
  | "duplicate"
  | "gap"
  | "non-monotonic"
  | "aborted read"
  | "early read"
  | "phantom read"
  | "skipped offset";

export interface Anomaly {
  kind: AnomalyKind;
  detail: string;
}

export interface CheckReport {
  anomalies: Anomaly[];
  /** Reported, not failed: a value the client resent without idempotence that landed twice. */
  warnings: string[];
  counts: Record<AnomalyKind, number> & {
    acknowledged: number;
    unknown: number;
    failed: number;
    readRecords: number;
  };
}

const KINDS: AnomalyKind[] = [
  "lost write",
  "inconsistent offset",
  "duplicate",
  "gap",
  "non-monotonic",
  "aborted read",
  "early read",
  "phantom read",
  "skipped offset",
];

export function checkHistory(history: Op[], finals: FinalRead[]): CheckReport {
  const anomalies: Anomaly[] = [];
  const warnings: string[] = [];
  const add = (kind: AnomalyKind, detail: string) => anomalies.push({ kind, detail });
  const appends = history.filter((o): o is AppendOp => o.kind === "append");
  const reads = history.filter((o): o is ReadOp => o.kind === "read");
  const writerOf = new Map<string, AppendOp>();
  for (const op of appends) for (const v of op.values) writerOf.set(`${op.partition}\u0000${v}`, op);

  // One (partition, offset) must only ever show one value: across reads, the final read and acks.
  const valueAt = new Map<string, string>();
  const see = (partition: string, offset: number, value: string, where: string) => {
    const key = `${partition}@${offset}`;
    const prior = valueAt.get(key);
    if (prior === undefined) valueAt.set(key, value);
    else if (prior !== value)
      add(
        "inconsistent offset",
        `${key} is ${JSON.stringify(prior)} and ${JSON.stringify(value)} (${where})`,
      );
  };
  for (const op of appends) {
    if (op.outcome !== "ok" || !op.offsets) continue;
    op.offsets.forEach((offset, i) => {
      see(op.partition, offset, op.values[i]!, `ack of ${op.client}#${op.opId}`);
    });
  }
  for (const r of reads) {
    for (const rec of r.records) {
      see(r.partition, rec.offset, rec.value, `read by ${r.client}#${r.opId}`);
      if (rec.offset >= r.highWatermark)
        add("early read", `${r.partition}@${rec.offset} returned with high watermark ${r.highWatermark}`);
      const writer = writerOf.get(`${r.partition}\u0000${rec.value}`);
      if (!writer)
        add(
          "phantom read",
          `${r.partition}@${rec.offset} holds ${JSON.stringify(rec.value)}, which nobody wrote`,
        );
      else if (writer.invokedAt > r.completedAt)
        add("phantom read", `${JSON.stringify(rec.value)} read before it was written`);
    }
  }

  const finalValues = new Map<string, number[]>();
  for (const f of finals) {
    for (const rec of f.records) {
      see(f.partition, rec.offset, rec.value, "final read");
      const key = `${f.partition}\u0000${rec.value}`;
      finalValues.set(key, [...(finalValues.get(key) ?? []), rec.offset]);
      if (!writerOf.has(key))
        add(
          "phantom read",
          `${f.partition}@${rec.offset} holds ${JSON.stringify(rec.value)}, which nobody wrote`,
        );
    }
    // Dense offsets: the final read is exactly logStartOffset .. highWatermark-1.
    const offsets = f.records.map((r) => r.offset);
    const expected = f.highWatermark - f.logStartOffset;
    const dense = offsets.length === expected && offsets.every((o, i) => o === f.logStartOffset + i);
    if (!dense)
      add(
        "gap",
        `${f.partition}: read ${offsets.length} records for ${f.logStartOffset}..${f.highWatermark - 1}${describeHoles(offsets, f.logStartOffset, f.highWatermark)}`,
      );
  }

  const seenAnywhere = new Set<string>();
  for (const r of reads) for (const rec of r.records) seenAnywhere.add(`${r.partition}\u0000${rec.value}`);
  for (const k of finalValues.keys()) seenAnywhere.add(k);

  for (const op of appends) {
    op.values.forEach((v) => {
      const key = `${op.partition}\u0000${v}`;
      const at = finalValues.get(key) ?? [];
      if (op.outcome === "ok" && at.length === 0)
        add(
          "lost write",
          `${op.partition}: ${JSON.stringify(v)} acknowledged by ${op.client}#${op.opId} is not in the log`,
        );
      if (op.outcome === "fail" && seenAnywhere.has(key))
        add(
          "aborted read",
          `${op.partition}: ${JSON.stringify(v)} failed definitely (${op.client}#${op.opId}) but was read`,
        );
      if (at.length > 1) {
        // The log may only repeat what the client itself repeated: a resend without idempotence
        // (at most once per send). A duplicate nobody resent was made by the engine.
        const sends = op.sends ?? 1;
        if (op.idempotent || sends < 2 || at.length > sends)
          add(
            "duplicate",
            `${op.partition}: ${JSON.stringify(v)} at offsets ${at.join(", ")} (sent ${sends}x, ${op.idempotent ? "idempotent" : "not idempotent"})`,
          );
        else
          warnings.push(
            `${op.partition}: ${JSON.stringify(v)} (resent ${sends}x without idempotence after an unknown outcome) at offsets ${at.join(", ")}`,
          );
      }
    });
  }

  // Per client and partition: an append that completed before another was invoked lands before it.
  const byClient = new Map<string, AppendOp[]>();
  for (const op of appends) {
    if (op.outcome !== "ok" || !op.offsets?.length) continue;
    const key = `${op.client}\u0000${op.partition}`;
    byClient.set(key, [...(byClient.get(key) ?? []), op]);
  }
  for (const ops of byClient.values()) {
    const sorted = [...ops].sort((a, b) => a.invokedAt - b.invokedAt);
    for (let i = 1; i < sorted.length; i++) {
      const prev = sorted[i - 1]!;
      const next = sorted[i]!;
      if (prev.completedAt <= next.invokedAt && Math.max(...prev.offsets!) >= Math.min(...next.offsets!)) {
        add(
          "non-monotonic",
          `${next.partition}: ${next.client}#${next.opId} landed at ${Math.min(...next.offsets!)}, before ${prev.client}#${prev.opId} at ${Math.max(...prev.offsets!)}`,
        );
      }
    }
  }
  // Within one read, offsets strictly increase and are dense: every offset between the first
  // and the last record returned was committed (it is below the last), so a jump is a skip.
  const finalByPartition = new Map(finals.map((f) => [f.partition, f]));
  for (const r of reads) {
    for (let i = 1; i < r.records.length; i++) {
      const prev = r.records[i - 1]!.offset;
      const next = r.records[i]!.offset;
      if (next <= prev)
        add("non-monotonic", `${r.partition}: read ${r.client}#${r.opId} went from ${prev} to ${next}`);
      else if (next > prev + 1)
        add(
          "skipped offset",
          `${r.partition}: read ${r.client}#${r.opId} jumped from ${prev} to ${next}, skipping committed ${prev + 1}`,
        );
    }
    // A read from `from` that starts above it, while `from` was committed (below the high
    // watermark it reported) and is still in the log, skipped it.
    const first = r.records[0];
    const final = finalByPartition.get(r.partition);
    if (
      r.from !== undefined &&
      first &&
      first.offset > r.from &&
      r.from < r.highWatermark &&
      final &&
      r.from >= final.logStartOffset
    )
      add(
        "skipped offset",
        `${r.partition}: read ${r.client}#${r.opId} from ${r.from} started at ${first.offset} though ${r.from} was committed`,
      );
  }

  const counts = Object.fromEntries(
    KINDS.map((k) => [k, anomalies.filter((a) => a.kind === k).length]),
  ) as CheckReport["counts"];
  counts.acknowledged = appends.filter((o) => o.outcome === "ok").length;
  counts.unknown = appends.filter((o) => o.outcome === "unknown").length;
  counts.failed = appends.filter((o) => o.outcome === "fail").length;
  counts.readRecords = reads.reduce((n, r) => n + r.records.length, 0);
  return { anomalies, warnings, counts };
}

function describeHoles(offsets: number[], from: number, to: number): string {
  const present = new Set(offsets);
  const missing: number[] = [];
  for (let o = from; o < to && missing.length < 5; o++) if (!present.has(o)) missing.push(o);
  return missing.length
    ? ` (missing ${missing.join(", ")}${missing.length === 5 ? ", ..." : ""})`
    : " (out of order or extra)";
}

/** The checker's table, printed by chaos runs. */
export function formatReport(report: CheckReport): string {
  const rows = [
    ...KINDS.map((k) => [k, String(report.counts[k])]),
    ["acknowledged", String(report.counts.acknowledged)],
    ["unknown outcome", String(report.counts.unknown)],
    ["failed (4xx)", String(report.counts.failed)],
    ["records read", String(report.counts.readRecords)],
  ];
  const width = Math.max(...rows.map((r) => r[0]!.length));
  const lines = rows.map(([k, v]) => `${k!.padEnd(width)}  ${v}`);
  for (const a of report.anomalies.slice(0, 20)) lines.push(`! ${a.kind}: ${a.detail}`);
  for (const w of report.warnings.slice(0, 10)) lines.push(`~ ${w}`);
  return lines.join("\n");
}
