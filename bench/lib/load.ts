/** Load generators shared by the benchmarks: closed loops, payloads, phase measurement. */
import { randomBytes } from "node:crypto";
import type { BenchAgent, BenchCluster } from "./cluster.js";
import { type Counts, diff, opCount } from "./counting-proxy.js";
import { requestDollars } from "./prices.js";

export const KiB = 1024;
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

export function round(n: number, digits = 2): number {
  if (!Number.isFinite(n)) return n;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Printable values that LZ4 cannot shrink much (random base64), so object sizes track payload. */
export function valuePool(count: number, bytes: number): string[] {
  return Array.from({ length: count }, () =>
    randomBytes(Math.ceil((bytes * 3) / 4))
      .toString("base64")
      .slice(0, bytes),
  );
}

/**
 * Runs `workers` closed loops of `op` until `seconds` pass; `op` returns the payload bytes it
 * moved, or `undefined` when it has nothing left (that worker stops).
 */
export async function closedLoop(
  workers: number,
  seconds: number,
  op: (worker: number, n: number) => Promise<number | undefined>,
): Promise<{ bytes: number; seconds: number; ops: number }> {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let bytes = 0;
  let ops = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let n = 0; performance.now() < deadline; n++) {
        const done = await op(w, n);
        if (done === undefined) return;
        bytes += done;
        ops++;
      }
    }),
  );
  return { bytes, ops, seconds: (performance.now() - start) / 1000 };
}

/** Retriable answers (429, 503) the load generators retried, as a client would; reported. */
export const retried = { count: 0 };

/**
 * One request; a 429 or 503 (retriable: `throttled`, `unavailable`) is retried up to 5 times with
 * a growing pause, as the SDK would. (An unstamped produce retried after an unknown outcome may
 * write twice; the bench counts only acknowledged bytes, so that only costs requests.)
 */
export async function http(url: string, init?: RequestInit): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, init);
    if ((res.status === 429 || res.status === 503) && attempt < 5) {
      await res.arrayBuffer();
      retried.count++;
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      continue;
    }
    if (res.status >= 300)
      throw new Error(`${init?.method ?? "GET"} ${url} answered ${res.status}: ${await res.text()}`);
    return res;
  }
}

export async function createTopic(agent: BenchAgent, name: string, partitions: number): Promise<void> {
  await http(`${agent.url}/v1/topics`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, partitions }),
  });
}

export async function highWatermarks(agent: BenchAgent, topic: string): Promise<number[]> {
  const res = await http(`${agent.url}/v1/topics/${topic}`);
  const body = (await res.json()) as { partitions: { partition: number; high_watermark: number }[] };
  return body.partitions.sort((a, b) => a.partition - b.partition).map((p) => p.high_watermark);
}

/** What one measured phase cost, counted from outside the agent. */
export interface PhaseResult {
  name: string;
  seconds: number;
  MiB: number;
  MiBps: number;
  agentCpuSeconds: number;
  /** Agent CPU seconds per GiB moved, and its inverse in MiB per CPU-second. */
  cpuSecondsPerGiB: number;
  MiBPerCpuSecond: number;
  s3Puts: number;
  s3Gets: number;
  meanObjectKiB: number;
  dynamoOps: Record<string, number>;
  dynamoWrites: number;
  writeUnits: number;
  readUnits: number;
  strongReads: number;
  eventualReads: number;
  conditionalFailures: number;
  /** Flushes = segment PUTs (one object per flush). */
  flushes: number;
  dynamoWritesPerFlush: number;
  writeUnitsPerFlush: number;
  readUnitsPerFlush: number;
  requestUsdPerGiB: number;
}

export const WRITE_OPS = ["PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"];

export interface Mark {
  s3: Counts;
  dynamodb: Counts;
  cpu: number[];
  at: number;
}

export function mark(cluster: BenchCluster, agents: BenchAgent[]): Mark {
  return {
    s3: cluster.s3.snapshot(),
    dynamodb: cluster.dynamodb.snapshot(),
    cpu: agents.map((a) => a.cpuSeconds()),
    at: performance.now(),
  };
}

function totalOps(cluster: BenchCluster): number {
  let n = 0;
  for (const c of [cluster.s3.snapshot(), cluster.dynamodb.snapshot()])
    for (const op of c.ops.values()) n += op.count;
  return n;
}

/**
 * Waits until the forwarders see no request for two 250 ms windows (at most 5 s): an agent writes
 * some manifest items after it acknowledges (index entries), and they belong to this phase.
 */
export async function settle(cluster: BenchCluster): Promise<void> {
  const until = performance.now() + 5000;
  let last = totalOps(cluster);
  let quiet = 0;
  while (quiet < 2 && performance.now() < until) {
    await new Promise((r) => setTimeout(r, 250));
    const now = totalOps(cluster);
    quiet = now === last ? quiet + 1 : 0;
    last = now;
  }
}

/** Settles, then measures the phase since `before` (`bytes` payload moved in `seconds`). */
export async function phaseResult(
  name: string,
  cluster: BenchCluster,
  agents: BenchAgent[],
  before: Mark,
  bytes: number,
  seconds?: number,
): Promise<PhaseResult> {
  await settle(cluster);
  const after = mark(cluster, agents);
  const s3 = diff(after.s3, before.s3);
  const ddb = diff(after.dynamodb, before.dynamodb);
  const cpu = after.cpu.reduce((n, c, i) => n + c - (before.cpu[i] ?? 0), 0);
  const secs = seconds ?? (after.at - before.at) / 1000;
  const puts = opCount(s3, "PutObject");
  const gets = opCount(s3, "GetObject");
  const dynamoWrites = WRITE_OPS.reduce((n, op) => n + opCount(ddb, op), 0);
  const gib = bytes / GiB;
  return {
    name,
    seconds: round(secs),
    MiB: round(bytes / MiB),
    MiBps: round(bytes / MiB / secs),
    agentCpuSeconds: round(cpu),
    cpuSecondsPerGiB: round(cpu / gib),
    MiBPerCpuSecond: round(bytes / MiB / cpu),
    s3Puts: puts,
    s3Gets: gets,
    meanObjectKiB: round((s3.ops.get("PutObject")?.bytes ?? 0) / 1024 / Math.max(1, puts)),
    dynamoOps: Object.fromEntries([...ddb.ops].map(([k, v]) => [k, v.count])),
    dynamoWrites,
    writeUnits: ddb.writeUnits,
    readUnits: round(ddb.readUnits),
    strongReads: ddb.strongReads,
    eventualReads: ddb.eventualReads,
    conditionalFailures: ddb.conditionalFailures,
    flushes: puts,
    dynamoWritesPerFlush: round(dynamoWrites / Math.max(1, puts)),
    writeUnitsPerFlush: round(ddb.writeUnits / Math.max(1, puts)),
    readUnitsPerFlush: round(ddb.readUnits / Math.max(1, puts)),
    requestUsdPerGiB: round(
      requestDollars({ s3Puts: puts, s3Gets: gets, writeUnits: ddb.writeUnits, readUnits: ddb.readUnits }) /
        gib,
      4,
    ),
  };
}

export function describe(p: PhaseResult): string {
  return `${p.name}: ${p.MiBps} MiB/s (${p.MiB} MiB in ${p.seconds}s), agent ${p.MiBPerCpuSecond} MiB/CPU-s, ${p.flushes} flushes of ${p.meanObjectKiB} KiB, ${p.dynamoWritesPerFlush} DynamoDB writes and ${p.writeUnitsPerFlush} WCU per flush, ${p.s3Gets} GETs, ${p.readUnits} RRU, $${p.requestUsdPerGiB}/GiB`;
}
