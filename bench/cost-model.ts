/**
 * The cost model (docs/design/cost.md), printed FROM COUNTED REQUESTS: S3 and DynamoDB requests
 * and dollars per GiB in and per GiB out, for 1, 16, 256 and 1,024 partitions, 1 and 8 agents,
 * container and Lambda mode, next to Kinesis, MSK and WarpStream list prices.
 *
 *   npm run bench:cost -- results.json     (the JSON line `npm run bench` printed)
 *   npm run bench -- --only catchup,hot,sweep | npm run bench:cost -- -
 *   npm run bench:cost                      (runs a short counted workload itself: ~2-4 min on a busy machine)
 *   [--rate-mib 100] [--linger-ms 250] [--lambda-request-mib 1] [--json]
 *
 * What is measured and what is modelled:
 *   - per flush, as a function of the partitions it touches (T): DynamoDB write units, read
 *     units and writes, fitted a + b·T by least squares over the sweep's points (each point's T
 *     estimated by expectedTouched from its records per flush); one S3 PUT per flush (counted);
 *   - concurrent agents: the extra write and read units per partition-commit that the run's
 *     N-agent point counted over the single-agent fit, scaled to A agents by the share of commits
 *     whose head another agent moved ((A-1)/A versus the measured (N-1)/N);
 *   - a scenario's flush size: container = min(rate / agents × linger, 8 MiB segment cap); Lambda
 *     = one flush per request (--lambda-request-mib), no batching across requests;
 *   - reads: one fetch (and, cold, one ranged GET) per partition range a flush wrote (flush bytes /
 *     T), priced with the run's counted read units per fetch (hot, strong head reads) and per GET
 *     (catch-up), as the run's fetch phases showed (they report GETs per range).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { expectedTouched, linearFit } from "./lib/cost-math.js";
import type { PhaseResult } from "./lib/load.js";
import { PRICES, requestDollars } from "./lib/prices.js";

const MiB = 1024 * 1024;
const SEGMENT_MAX_MIB = 8;
const GB_PER_GIB = 1.073741824;
/** AWS Fargate, per vCPU-hour (US East, Linux/x86), to price the agent's measured CPU. */
const FARGATE_VCPU_HOUR = {
  usd: 0.04048,
  source: "https://aws.amazon.com/fargate/pricing/",
  checked: "2026-12-01, recalled",
};

interface BenchJson {
  date: string;
  commit: string;
  workload: { recordBytes: number };
  produce?: { phases: PhaseResult[] };
  catchUp?: { phase: PhaseResult; fetches: number; rawGets: number };
  hotTail?: { phase: PhaseResult; fetchesPerRound: number; strongReadsPerFetch: number };
  sweep?: (PhaseResult & { partitions: number })[];
  multiAgent?: PhaseResult & { partitions: number; agents: number };
}

function arg(name: string): string | undefined {
  const argv = process.argv.slice(2);
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
}

function loadRun(): BenchJson {
  const file = process.argv
    .slice(2)
    .find((a, i, all) => !a.startsWith("--") && !all[i - 1]?.startsWith("--"));
  if (file) {
    const text = readFileSync(file === "-" ? 0 : resolve(file), "utf8")
      .trim()
      .split("\n")
      .pop()!;
    return JSON.parse(text) as BenchJson;
  }
  process.stderr.write("cost model: no results given, running a short counted workload (bench/agent.ts)\n");
  const run = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      resolve(import.meta.dirname, "agent.ts"),
      "--only",
      "catchup,hot,sweep",
      "--seconds",
      "3",
      "--sweep-seconds",
      "5",
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 64 * MiB },
  );
  if (run.status !== 0) throw new Error(`bench/agent.ts failed (${run.status})`);
  return JSON.parse(run.stdout.trim().split("\n").pop()!) as BenchJson;
}

function money(n: number): string {
  if (n === 0) return "$0";
  return n >= 0.1 ? `$${n.toFixed(2)}` : n >= 0.001 ? `$${n.toFixed(4)}` : `$${n.toPrecision(2)}`;
}

function main(): void {
  const run = loadRun();
  const rateMiB = Number(arg("--rate-mib") ?? 100);
  const lingerS = Number(arg("--linger-ms") ?? 250) / 1000;
  const lambdaRequestMiB = Number(arg("--lambda-request-mib") ?? 1);
  const recordBytes = run.workload.recordBytes;
  if (!run.sweep?.length) throw new Error("the results hold no partition sweep (run bench with sweep)");

  // Per-flush fits over partitions touched. -------------------------------------------------------
  const touched = (p: PhaseResult & { partitions: number }) =>
    expectedTouched(p.partitions, (p.MiB * MiB) / recordBytes / Math.max(1, p.flushes));
  const pts = run.sweep.map((p) => ({ T: touched(p), p }));
  const wcu = linearFit(pts.map(({ T, p }) => [T, p.writeUnitsPerFlush]));
  const rru = linearFit(pts.map(({ T, p }) => [T, p.readUnitsPerFlush]));
  const writes = linearFit(pts.map(({ T, p }) => [T, p.dynamoWritesPerFlush]));
  // Concurrent agents: extra units per partition-commit over the single-agent fit.
  let extraWcuPerCommit = 0;
  let extraRruPerCommit = 0;
  let measuredShare = 0.5;
  let rawExtraWcuPerCommit = 0;
  const m = run.multiAgent;
  if (m && m.flushes > 0) {
    // Measured minus the single-agent fit, per partition-commit. Floored at 0: a lost race only
    // adds requests (a failed conditional write, a fresh head read); a negative difference is the
    // noise of a point with few flushes (or index entries still pending in heads), not a saving.
    const T = expectedTouched(m.partitions, (m.MiB * MiB) / recordBytes / m.flushes);
    extraWcuPerCommit = Math.max(0, (m.writeUnitsPerFlush - (wcu.a + wcu.b * T)) / T);
    extraRruPerCommit = Math.max(0, (m.readUnitsPerFlush - (rru.a + rru.b * T)) / T);
    rawExtraWcuPerCommit = (m.writeUnitsPerFlush - (wcu.a + wcu.b * T)) / T;
    measuredShare = (m.agents - 1) / m.agents;
  }

  // Reads: units per fetch (hot, writer) and per GET (cold catch-up), counted. --------------------
  const hot = run.hotTail;
  const hotRruPerFetch = hot ? hot.phase.readUnits / Math.max(1, hot.fetchesPerRound) : 1;
  const cold = run.catchUp;
  const coldRruPerGet = cold ? cold.phase.readUnits / Math.max(1, cold.phase.s3Gets) : 1;
  const cpuIn = run.produce?.phases.find((p) => p.name.includes("binary"))?.cpuSecondsPerGiB;
  const cpuOut = hot?.phase.cpuSecondsPerGiB;

  const out: string[] = [];
  const say = (line = "") => out.push(line);
  say(`# Floe request cost model (from counted requests: run ${run.date}, commit ${run.commit})`);
  say();
  say("Fits per flush over partitions touched T (least squares over the sweep points):");
  for (const { T, p } of pts)
    say(
      `- P=${p.partitions}: T=${T.toFixed(0)}, ${p.flushes} flushes of ${p.meanObjectKiB} KiB; per flush ${p.dynamoWritesPerFlush} DynamoDB writes, ${p.writeUnitsPerFlush} WCU, ${p.readUnitsPerFlush} RRU`,
    );
  say(
    `- DynamoDB writes/flush = ${writes.a.toFixed(2)} + ${writes.b.toFixed(3)}·T; WCU/flush = ${wcu.a.toFixed(2)} + ${wcu.b.toFixed(3)}·T; RRU/flush = ${rru.a.toFixed(2)} + ${rru.b.toFixed(3)}·T`,
  );
  if (m)
    say(
      `- ${m.agents} agents at P=${m.partitions}: ${m.conditionalFailures} conditional-check failures in ${m.flushes} flushes; ${extraWcuPerCommit >= 0 ? "+" : ""}${extraWcuPerCommit.toFixed(3)} WCU and ${extraRruPerCommit >= 0 ? "+" : ""}${extraRruPerCommit.toFixed(3)} RRU per partition-commit against the one-agent fit (share of moved heads ${(measuredShare * 100).toFixed(0)} %; WCU difference as counted ${rawExtraWcuPerCommit.toFixed(3)}, floored at 0)`,
    );
  say(
    `- reads: ${hotRruPerFetch.toFixed(2)} RRU per hot fetch (strong head read), ${coldRruPerGet.toFixed(2)} RRU per catch-up GET`,
  );
  say();
  say(
    `Scenario: ${rateMiB} MiB/s in all, 1 KiB-class records (${recordBytes} B), container agents flushing every ${lingerS * 1000} ms (segment cap ${SEGMENT_MAX_MIB} MiB), Lambda one flush per ${lambdaRequestMiB} MiB request. Requests only (no storage, no transfer).`,
  );
  say();
  say(
    "| mode | agents | partitions | flush MiB | S3 PUT/GiB | WCU/GiB | RRU/GiB in | $ in/GiB | S3 GET/GiB out (cold) | RRU/GiB out (hot) | $ out/GiB hot | $ out/GiB cold |",
  );
  say("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
  const scenarios: Record<string, unknown>[] = [];
  for (const mode of ["container", "lambda"] as const)
    for (const agents of [1, 8])
      for (const partitions of [1, 16, 256, 1024]) {
        const flushMiB =
          mode === "container" ? Math.min((rateMiB / agents) * lingerS, SEGMENT_MAX_MIB) : lambdaRequestMiB;
        const flushesPerGiB = 1024 / flushMiB;
        const T = expectedTouched(partitions, (flushMiB * MiB) / recordBytes);
        const share = agents > 1 ? (agents - 1) / agents : 0;
        const scale = measuredShare > 0 ? share / measuredShare : 0;
        const wcuPerFlush = Math.max(1, wcu.a + wcu.b * T + scale * extraWcuPerCommit * T);
        const rruPerFlush = Math.max(0, rru.a + rru.b * T + scale * extraRruPerCommit * T);
        const inCounts = {
          s3Puts: flushesPerGiB,
          s3Gets: 0,
          writeUnits: flushesPerGiB * wcuPerFlush,
          readUnits: flushesPerGiB * rruPerFlush,
        };
        // Out: one fetch per partition range a flush wrote; cold also one ranged GET per range.
        const rangesPerGiB = flushesPerGiB * T;
        const hotOut = requestDollars({
          s3Puts: 0,
          s3Gets: 0,
          writeUnits: 0,
          readUnits: rangesPerGiB * hotRruPerFetch,
        });
        const coldOut = requestDollars({
          s3Puts: 0,
          s3Gets: rangesPerGiB,
          writeUnits: 0,
          readUnits: rangesPerGiB * (coldRruPerGet + hotRruPerFetch),
        });
        const inUsd = requestDollars(inCounts);
        // Lambda keeps no hot tail (FLOE_HOT_TAIL_BYTES defaults to 0 there): every read is cold.
        const hotUsd = mode === "lambda" ? coldOut : hotOut;
        scenarios.push({
          mode,
          agents,
          partitions,
          flushMiB,
          ...inCounts,
          inUsd,
          hotOutUsd: hotUsd,
          coldOutUsd: coldOut,
        });
        say(
          `| ${mode} | ${agents} | ${partitions} | ${flushMiB.toFixed(2)} | ${flushesPerGiB.toFixed(0)} | ${inCounts.writeUnits.toFixed(0)} | ${inCounts.readUnits.toFixed(0)} | ${money(inUsd)} | ${rangesPerGiB.toFixed(0)} | ${(mode === "lambda" ? rangesPerGiB * (coldRruPerGet + hotRruPerFetch) : rangesPerGiB * hotRruPerFetch).toFixed(0)} | ${money(hotUsd)} | ${money(coldOut)} |`,
        );
      }
  say();
  const target = scenarios.find((s) => s.mode === "container" && s.agents === 8 && s.partitions === 256)!;
  say(
    `Issue-10 target, request cost per GiB in, 256 partitions, 8 agents, 250 ms flushes, 100 MiB/s, container: ${money(target.inUsd as number)} (target ≤ $0.01: ${(target.inUsd as number) <= 0.01 ? "met" : "missed"})`,
  );
  say();
  if (cpuIn !== undefined || cpuOut !== undefined)
    say(
      `Agent compute (measured CPU-s/GiB × Fargate $${FARGATE_VCPU_HOUR.usd}/vCPU-hour, ${FARGATE_VCPU_HOUR.source}, ${FARGATE_VCPU_HOUR.checked}): in ${money(((cpuIn ?? 0) * FARGATE_VCPU_HOUR.usd) / 3600)}/GiB (${cpuIn} CPU-s/GiB, binary produce), out ${money(((cpuOut ?? 0) * FARGATE_VCPU_HOUR.usd) / 3600)}/GiB (${cpuOut} CPU-s/GiB, hot fetch)`,
    );
  say();
  say("Alternatives, list prices per GiB (1 GiB = 1.0737 GB):");
  say("| service | $ per GiB in | $ per GiB out | notes |");
  say("|---|---:|---:|---|");
  say(
    `| Kinesis on-demand | ${money(PRICES.kinesisOnDemandIn.usd * GB_PER_GIB)} | ${money(PRICES.kinesisOnDemandOut.usd * GB_PER_GIB)} | + $0.04 per stream-hour |`,
  );
  const shardGiBPerHour = (1e6 * 3600) / (1024 * MiB);
  say(
    `| Kinesis provisioned (shards 100 % busy, 1 KiB records) | ${money(PRICES.kinesisShardHour.usd / shardGiBPerHour + PRICES.kinesisPutUnit.usd * ((1024 * MiB) / 1024))} | included (2 MB/s per shard) | ${money(PRICES.kinesisShardHour.usd)}/shard-hour over ${shardGiBPerHour.toFixed(2)} GiB/shard-hour + one 25 KB PUT unit per record |`,
  );
  const partitionHourPerGiB = (256 * 0.0015) / ((rateMiB * 3600) / 1024);
  say(
    `| MSK Serverless | ${money(PRICES.mskServerlessIn.usd * GB_PER_GIB + partitionHourPerGiB)} | ${money(PRICES.mskServerlessOut.usd * GB_PER_GIB)} | in includes 256 partition-hours at ${rateMiB} MiB/s; + $0.75/cluster-hour |`,
  );
  say(
    `| MSK provisioned | — | — | ${money(PRICES.mskBrokerHour.usd)} per kafka.m5.large broker-hour + storage: priced by brokers, not per GiB |`,
  );
  say(
    `| WarpStream BYOC | ${money(PRICES.warpstreamWritten.usd)} + its S3 requests | its S3 GETs | + cluster-minutes; first 50 TiB/month tier |`,
  );
  say();
  say("Prices (US East):");
  for (const p of Object.values(PRICES))
    say(`- ${p.unit}: $${Number(p.usd.toPrecision(4))} — ${p.source} (${p.checked})`);
  if (process.argv.includes("--json"))
    process.stdout.write(
      `${JSON.stringify({ run: { date: run.date, commit: run.commit }, fits: { wcu, rru, writes, extraWcuPerCommit, extraRruPerCommit }, scenarios })}\n`,
    );
  else process.stdout.write(`${out.join("\n")}\n`);
}

main();
