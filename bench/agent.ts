/**
 * Agent benchmarks (issue 10), each a ratio measured side by side in one run, every request
 * counted from OUTSIDE the agent:
 *
 *   stand-ins (dynalite + s3rver)  <-  counting forwarders (this process)  <-  agent child process(es)
 *                                                 ^ raw baselines use the same forwarders
 *
 *   1. produce MiB/s, HTTP binary / HTTP JSON / Kafka (kafkajs), vs a raw S3 PUT loop of objects the
 *      size the agent wrote in that run, with the same bytes in flight;
 *   2. catch-up fetch (a cold agent reading from offset 0) vs the same ranged GETs replayed raw;
 *   3. hot-tail fetch (the writing agent, just-produced data, default strong reads) vs raw GETs of
 *      the objects it wrote;
 *   4. the agent process's own CPU (utime + stime of /proc/<pid>/stat) per GiB produced and fetched;
 *   5. partition sweep: 16 producers of 128 KiB JSON requests, records spread evenly over P
 *      partitions: MiB/s, DynamoDB writes and write units per flush, request $ per GiB, MiB per
 *      agent CPU-second.
 *
 *   npm run bench -- [--seconds 5] [--sweep-seconds 6] [--partitions 1,16,256] [--with-1024]
 *                    [--only produce,catchup,hot,sweep] [--in-flight-kib 4096] [--agents 2]
 *
 * --agents N (default 2; 1 = off) adds a sweep point at the largest P ≤ 256 with N agents sharing
 * the producers, to count what concurrent writers add per flush (conditional-check failures).
 *
 * Progress goes to stderr, one JSON summary to stdout (feed it to `npm run bench:cost`).
 */
import { execSync } from "node:child_process";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { CompressionTypes, Kafka, logLevel, type Producer } from "kafkajs";
import { encodeRecordBatch, readBatchHeader } from "../client/src/format/index.js";
import { type BenchAgent, type BenchCluster, startCluster } from "./lib/cluster.js";
import {
  closedLoop,
  createTopic,
  describe,
  highWatermarks,
  http,
  KiB,
  log,
  MiB,
  mark,
  type PhaseResult,
  phaseResult,
  retried,
  round,
  valuePool,
} from "./lib/load.js";

interface Options {
  seconds: number;
  sweepSeconds: number;
  partitions: number[];
  only: Set<string>;
  inFlightBytes: number;
  agents: number;
}

function options(argv: string[]): Options {
  const value = (name: string) => {
    const at = argv.indexOf(name);
    return at >= 0 ? argv[at + 1] : undefined;
  };
  const partitions = (value("--partitions") ?? "1,16,256").split(",").map(Number);
  if (argv.includes("--with-1024") && !partitions.includes(1024)) partitions.push(1024);
  return {
    seconds: Number(value("--seconds") ?? 5),
    sweepSeconds: Number(value("--sweep-seconds") ?? 6),
    partitions,
    only: new Set((value("--only") ?? "produce,catchup,hot,sweep").split(",")),
    inFlightBytes: Number(value("--in-flight-kib") ?? 4096) * KiB,
    agents: Number(value("--agents") ?? 2),
  };
}

const RECORD_BYTES = 1000;
const RECORDS_PER_REQUEST = 128; // 128 records of 1000 B: a ~128 KiB request
const REQUEST_PAYLOAD = RECORD_BYTES * RECORDS_PER_REQUEST;
const PRODUCE_PARTITIONS = 8;
const FETCH_BYTES = 4 * MiB;

function rawS3(cluster: BenchCluster): S3Client {
  return new S3Client({
    endpoint: cluster.aws.s3Endpoint,
    region: cluster.aws.region,
    credentials: cluster.aws.credentials,
    forcePathStyle: true,
  });
}

function binaryBodies(values: string[]): Uint8Array[] {
  const encoder = new TextEncoder();
  return Array.from({ length: 8 }, (_, b) =>
    encodeRecordBatch({
      compression: "none",
      records: Array.from({ length: RECORDS_PER_REQUEST }, (_, i) => ({
        key: null,
        value: encoder.encode(values[(b * RECORDS_PER_REQUEST + i) % values.length]!),
        headers: [],
        timestamp: Date.now(),
      })),
    }),
  );
}

function jsonBodies(values: string[], partitions: number, spread: boolean): string[] {
  let next = 0;
  return Array.from({ length: 16 }, (_, b) =>
    JSON.stringify({
      records: Array.from({ length: RECORDS_PER_REQUEST }, (_, i) => ({
        value: values[(b * RECORDS_PER_REQUEST + i) % values.length]!,
        ...(spread ? { partition: next++ % partitions } : {}),
      })),
    }),
  );
}

async function produceBinary(
  agent: BenchAgent,
  topic: string,
  partitions: number,
  workers: number,
  seconds: number,
  bodies: Uint8Array[],
) {
  return closedLoop(workers, seconds, async (w, n) => {
    const res = await http(`${agent.url}/v1/topics/${topic}/partitions/${(w + n) % partitions}/records`, {
      method: "POST",
      headers: { "content-type": "application/vnd.floe.batch" },
      body: bodies[(w + n) % bodies.length] as Uint8Array<ArrayBuffer>,
    });
    await res.arrayBuffer();
    return REQUEST_PAYLOAD;
  });
}

/** JSON produce to `/partitions/p/records` (spread=false) or to the topic with per-record partitions. */
async function produceJson(
  agent: BenchAgent,
  topic: string,
  partitions: number,
  workers: number,
  seconds: number,
  bodies: string[],
  spread: boolean,
) {
  return closedLoop(workers, seconds, async (w, n) => {
    const path = spread
      ? `/v1/topics/${topic}/records`
      : `/v1/topics/${topic}/partitions/${(w + n) % partitions}/records`;
    const res = await http(`${agent.url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: bodies[(w * 7 + n) % bodies.length]!,
    });
    await res.arrayBuffer();
    return REQUEST_PAYLOAD;
  });
}

async function produceKafka(
  agent: BenchAgent,
  topic: string,
  partitions: number,
  workers: number,
  seconds: number,
  values: string[],
) {
  const kafka = new Kafka({ clientId: "floe-bench", brokers: [agent.broker], logLevel: logLevel.NOTHING });
  const producers: Producer[] = [];
  const clients = 4;
  for (let i = 0; i < clients; i++) {
    const p = kafka.producer({ allowAutoTopicCreation: false });
    await p.connect();
    producers.push(p);
  }
  const messages = Array.from({ length: 8 }, (_, b) =>
    Array.from({ length: RECORDS_PER_REQUEST }, (_, i) => ({
      value: Buffer.from(values[(b * RECORDS_PER_REQUEST + i) % values.length]!),
    })),
  );
  try {
    return await closedLoop(workers, seconds, async (w, n) => {
      await producers[w % clients]!.send({
        topic,
        acks: -1,
        compression: CompressionTypes.None,
        messages: messages[(w + n) % messages.length]!.map((m) => ({
          ...m,
          partition: (w + n) % partitions,
        })),
      });
      return REQUEST_PAYLOAD;
    });
  } finally {
    await Promise.all(producers.map((p) => p.disconnect()));
  }
}

async function rawPut(cluster: BenchCluster, objectBytes: number, workers: number, seconds: number) {
  const s3 = rawS3(cluster);
  const body = new Uint8Array(objectBytes);
  for (let i = 0; i < body.length; i += 65536)
    body.set(
      new Uint8Array(Buffer.from(valuePool(1, 65536)[0]!)).subarray(0, Math.min(65536, body.length - i)),
      i,
    );
  try {
    return await closedLoop(workers, seconds, async (w, n) => {
      await s3.send(
        new PutObjectCommand({ Bucket: cluster.bucket, Key: `raw/${objectBytes}/${w}/${n}`, Body: body }),
      );
      return objectBytes;
    });
  } finally {
    s3.destroy();
  }
}

/**
 * One reader per partition from `from[p]` to `until[p]` (binary fetches), or until the deadline.
 * Records are counted from the batch headers: a fetch that advanced past records it did not
 * return would make the MiB/s meaningless, so the phase reports records returned vs offsets read.
 */
async function fetchAll(agent: BenchAgent, topic: string, from: number[], until: number[], seconds: number) {
  const start = performance.now();
  const deadline = start + seconds * 1000;
  let bytes = 0;
  let fetches = 0;
  let records = 0;
  let offsets = 0;
  await Promise.all(
    until.map(async (end, p) => {
      for (let offset = from[p]!; offset < end && performance.now() < deadline; ) {
        const res = await http(
          `${agent.url}/v1/topics/${topic}/partitions/${p}/records?offset=${offset}&max_bytes=${FETCH_BYTES}&max_records=10000`,
          { headers: { accept: "application/vnd.floe.batch" } },
        );
        const body = new Uint8Array(await res.arrayBuffer());
        bytes += body.byteLength;
        for (let at = 0; at < body.length; ) {
          const header = readBatchHeader(body, at);
          records += header.recordCount;
          at += header.batchLength + 12;
        }
        fetches++;
        const next = Number(res.headers.get("floe-next-offset"));
        offsets += next - offset;
        offset = next;
      }
    }),
  );
  if (records !== offsets)
    log(`  WARNING: ${topic}: fetches returned ${records} records for ${offsets} offsets`);
  return { bytes, fetches, records, offsets, seconds: (performance.now() - start) / 1000 };
}

/** Replays GETs (ranged or whole) raw through the same forwarder with `workers` in parallel. */
async function rawGets(cluster: BenchCluster, gets: { key: string; range?: string }[], workers: number) {
  const s3 = rawS3(cluster);
  const queue = [...gets];
  const start = performance.now();
  let bytes = 0;
  try {
    await Promise.all(
      Array.from({ length: workers }, async () => {
        for (let g = queue.shift(); g; g = queue.shift()) {
          const res = await s3.send(
            new GetObjectCommand({
              Bucket: cluster.bucket,
              Key: g.key,
              ...(g.range ? { Range: g.range } : {}),
            }),
          );
          bytes += (await res.Body!.transformToByteArray()).byteLength;
        }
      }),
    );
  } finally {
    s3.destroy();
  }
  return { bytes, seconds: (performance.now() - start) / 1000 };
}

function mibps(r: { bytes: number; seconds: number }): number {
  return r.bytes / MiB / r.seconds;
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";
  const opts = options(process.argv.slice(2));
  const started = Date.now();
  const commit = (() => {
    try {
      return execSync("git rev-parse --short HEAD", { encoding: "utf8" }).trim();
    } catch {
      return "unknown";
    }
  })();
  log(`bench: starting stand-ins, counting forwarders and the agent (commit ${commit})`);
  const cluster = await startCluster();
  const writer = await cluster.startAgent();
  const values = valuePool(4096, RECORD_BYTES);
  const summary: Record<string, unknown> = {
    date: new Date().toISOString(),
    commit,
    options: { ...opts, only: [...opts.only] },
    workload: { recordBytes: RECORD_BYTES, recordsPerRequest: RECORDS_PER_REQUEST, fetchBytes: FETCH_BYTES },
  };
  const workers = Math.max(1, Math.round(opts.inFlightBytes / REQUEST_PAYLOAD));
  try {
    // 1. produce ---------------------------------------------------------------------------------
    if (opts.only.has("produce") || opts.only.has("catchup")) {
      await createTopic(writer, "produce", PRODUCE_PARTITIONS);
      log(
        `produce: ${workers} requests of ${REQUEST_PAYLOAD / 1000} kB in flight (${opts.inFlightBytes / KiB} KiB), ${PRODUCE_PARTITIONS} partitions, ${opts.seconds}s each`,
      );
      // Warm-up (not measured): the agent's first requests pay for module loading and JIT.
      await produceBinary(writer, "produce", PRODUCE_PARTITIONS, workers, 1.5, binaryBodies(values));
      const phases: PhaseResult[] = [];
      const raws: Record<string, unknown>[] = [];
      const runs: [string, () => Promise<{ bytes: number; seconds: number }>][] = [
        [
          "produce HTTP binary",
          () =>
            produceBinary(writer, "produce", PRODUCE_PARTITIONS, workers, opts.seconds, binaryBodies(values)),
        ],
        [
          "produce HTTP JSON",
          () =>
            produceJson(
              writer,
              "produce",
              PRODUCE_PARTITIONS,
              workers,
              opts.seconds,
              jsonBodies(values, 1, false),
              false,
            ),
        ],
        [
          "produce Kafka (kafkajs)",
          () => produceKafka(writer, "produce", PRODUCE_PARTITIONS, workers, opts.seconds, values),
        ],
      ];
      // Each protocol is followed at once by its raw baseline, so machine noise hits both alike.
      for (const [name, run] of runs) {
        const m = mark(cluster, [writer]);
        const r = await run();
        const phase = await phaseResult(name, cluster, [writer], m, r.bytes, r.seconds);
        phases.push(phase);
        log(`  ${describe(phase)}`);
        const objectBytes = Math.max(1024, Math.round(phase.meanObjectKiB * 1024));
        const concurrency = Math.max(1, Math.round(opts.inFlightBytes / objectBytes));
        const raw = mibps(await rawPut(cluster, objectBytes, concurrency, opts.seconds));
        log(
          `  raw PUT: ${concurrency} x ${round(objectBytes / MiB)} MiB objects in flight: ${round(raw)} MiB/s`,
        );
        raws.push({
          name,
          MiBps: phase.MiBps,
          rawPutMiBps: round(raw),
          rawObjectMiB: round(objectBytes / MiB),
          rawConcurrency: concurrency,
          ratio: round(phase.MiBps / raw),
        });
      }
      summary.produce = { phases, vsRawPut: raws };
    }

    // 2. catch-up fetch ------------------------------------------------------------------------------
    if (opts.only.has("catchup")) {
      const hw = await highWatermarks(writer, "produce");
      const cold = await cluster.startAgent();
      log(
        `catch-up: a cold agent reads ${hw.reduce((a, b) => a + b, 0)} records of 'produce' from offset 0 (≤ ${opts.seconds * 1.5}s), then the same GETs raw`,
      );
      cluster.s3.record(true);
      const m = mark(cluster, [cold]);
      const f = await fetchAll(
        cold,
        "produce",
        hw.map(() => 0),
        hw,
        opts.seconds * 1.5,
      );
      const phase = await phaseResult("catch-up fetch (cold agent)", cluster, [cold], m, f.bytes, f.seconds);
      cluster.s3.record(false);
      const gets = [...cluster.s3.recorded.gets];
      await cold.stop();
      const raw = await rawGets(cluster, gets, PRODUCE_PARTITIONS);
      log(`  ${describe(phase)}`);
      log(`  raw ranged GETs: ${gets.length} GETs, ${round(mibps(raw))} MiB/s`);
      summary.catchUp = {
        phase,
        fetches: f.fetches,
        rawGets: gets.length,
        rawMeanGetKiB: round(raw.bytes / 1024 / Math.max(1, gets.length)),
        rawGetMiBps: round(mibps(raw)),
        ratio: round(phase.MiBps / mibps(raw)),
      };
    }

    // 3. hot-tail fetch ------------------------------------------------------------------------------
    if (opts.only.has("hot")) {
      await createTopic(writer, "hot", PRODUCE_PARTITIONS);
      cluster.s3.record(true);
      // ~32 MiB: inside the writing agent's 64 MiB hot-tail budget.
      const target = 32 * MiB;
      const bodies = binaryBodies(values);
      let produced = 0;
      await closedLoop(workers, 30, async (w, n) => {
        if (produced >= target) return undefined;
        produced += REQUEST_PAYLOAD;
        const res = await http(
          `${writer.url}/v1/topics/hot/partitions/${(w + n) % PRODUCE_PARTITIONS}/records`,
          {
            method: "POST",
            headers: { "content-type": "application/vnd.floe.batch" },
            body: bodies[n % bodies.length] as Uint8Array<ArrayBuffer>,
          },
        );
        await res.arrayBuffer();
        return REQUEST_PAYLOAD;
      });
      cluster.s3.record(false);
      const objects = cluster.s3.recorded.puts
        .filter((p) => !p.key.startsWith("raw/"))
        .map((p) => ({ key: p.key }));
      const hw = await highWatermarks(writer, "hot");
      log(
        `hot tail: ${round(produced / MiB)} MiB just produced in ${objects.length} objects; 3 interleaved rounds of writer fetches vs raw GETs`,
      );
      const agentRounds: PhaseResult[] = [];
      const rawRounds: number[] = [];
      let fetches = 0;
      for (let round_ = 0; round_ < 3; round_++) {
        const m = mark(cluster, [writer]);
        const f = await fetchAll(
          writer,
          "hot",
          hw.map(() => 0),
          hw,
          opts.seconds * 2,
        );
        fetches += f.fetches;
        agentRounds.push(
          await phaseResult(
            "hot-tail fetch (writer, strong reads)",
            cluster,
            [writer],
            m,
            f.bytes,
            f.seconds,
          ),
        );
        rawRounds.push(mibps(await rawGets(cluster, objects, PRODUCE_PARTITIONS)));
        log(
          `  round ${round_ + 1}: writer ${agentRounds.at(-1)!.MiBps} MiB/s (${agentRounds.at(-1)!.MiB} MiB, ${f.fetches} fetches, ${f.records} records for ${f.offsets} offsets), raw ${round(rawRounds.at(-1)!)} MiB/s`,
        );
      }
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const agentMiBps = mean(agentRounds.map((p) => p.MiBps));
      const phase = agentRounds[agentRounds.length - 1]!;
      log(`  ${describe(phase)}`);
      log(`  raw GETs of the written objects: ${round(mean(rawRounds))} MiB/s`);
      summary.hotTail = {
        phase,
        meanMiBps: round(agentMiBps),
        fetchesPerRound: fetches / 3,
        s3GetsPerRound: mean(agentRounds.map((p) => p.s3Gets)),
        strongReadsPerFetch: round(mean(agentRounds.map((p) => p.strongReads)) / (fetches / 3)),
        MiBPerCpuSecond: round(mean(agentRounds.map((p) => p.MiBPerCpuSecond))),
        rawGetMiBps: round(mean(rawRounds)),
        ratio: round(agentMiBps / mean(rawRounds)),
      };
    }

    // 4. partition sweep ------------------------------------------------------------------------------
    if (opts.only.has("sweep")) {
      const sweep: (PhaseResult & { partitions: number })[] = [];
      log(
        `sweep: 16 producers of ${REQUEST_PAYLOAD / 1000} kB JSON requests, records spread evenly, ${opts.sweepSeconds}s per point`,
      );
      for (const partitions of opts.partitions) {
        const topic = `sweep-${partitions}`;
        await createTopic(writer, topic, partitions);
        const bodies = jsonBodies(values, partitions, true);
        const m = mark(cluster, [writer]);
        const r = await produceJson(writer, topic, partitions, 16, opts.sweepSeconds, bodies, true);
        const phase = {
          partitions,
          ...(await phaseResult(`sweep P=${partitions}`, cluster, [writer], m, r.bytes, r.seconds)),
        };
        sweep.push(phase);
        log(`  ${describe(phase)}`);
      }
      summary.sweep = sweep;
      if (opts.agents > 1) {
        // Several agents writing the same partitions: what a fleet's flush costs once heads move
        // under each agent (conditional-check failures, fresh head reads). Producers split evenly.
        const partitions = Math.max(...opts.partitions.filter((p) => p <= 256));
        const extra = await Promise.all(Array.from({ length: opts.agents - 1 }, () => cluster.startAgent()));
        const fleet = [writer, ...extra];
        const topic = `sweep-${partitions}`;
        const bodies = jsonBodies(values, partitions, true);
        const m = mark(cluster, fleet);
        const r = await closedLoop(16, opts.sweepSeconds, async (w, n) => {
          const res = await http(`${fleet[w % fleet.length]!.url}/v1/topics/${topic}/records`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: bodies[(w * 7 + n) % bodies.length]!,
          });
          await res.arrayBuffer();
          return REQUEST_PAYLOAD;
        });
        const phase = {
          partitions,
          agents: fleet.length,
          ...(await phaseResult(
            `sweep P=${partitions}, ${fleet.length} agents`,
            cluster,
            fleet,
            m,
            r.bytes,
            r.seconds,
          )),
        };
        log(
          `  ${describe(phase)}; ${phase.conditionalFailures} conditional-check failures, ${phase.strongReads} strong reads`,
        );
        summary.multiAgent = phase;
        await Promise.all(extra.map((a) => a.stop()));
      }
    }
  } finally {
    await cluster.stop();
  }
  summary.retriedRequests = retried.count;
  summary.elapsedSeconds = round((Date.now() - started) / 1000);
  printTable(summary);
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  process.exit(0);
}

function printTable(s: Record<string, unknown>): void {
  log("\nsummary (ratios are within this run; absolute MiB/s are noisy on a shared machine)");
  const produce = s.produce as
    | {
        vsRawPut: { name: string; MiBps: number; rawPutMiBps: number; rawObjectMiB: number; ratio: number }[];
        phases: PhaseResult[];
      }
    | undefined;
  for (const p of produce?.vsRawPut ?? [])
    log(
      `  ${p.name.padEnd(26)} ${String(p.MiBps).padStart(7)} MiB/s vs raw PUT of ${p.rawObjectMiB} MiB objects ${p.rawPutMiBps} MiB/s = ${p.ratio}x`,
    );
  for (const p of produce?.phases ?? [])
    log(`  ${p.name.padEnd(26)} agent CPU: ${p.MiBPerCpuSecond} MiB/CPU-s (${p.cpuSecondsPerGiB} CPU-s/GiB)`);
  const c = s.catchUp as { phase: PhaseResult; rawGetMiBps: number; ratio: number } | undefined;
  if (c)
    log(
      `  catch-up fetch             ${c.phase.MiBps} MiB/s vs raw ranged GETs ${c.rawGetMiBps} MiB/s = ${c.ratio}x; agent ${c.phase.MiBPerCpuSecond} MiB/CPU-s`,
    );
  const h = s.hotTail as
    | { meanMiBps: number; rawGetMiBps: number; ratio: number; MiBPerCpuSecond: number }
    | undefined;
  if (h)
    log(
      `  hot-tail fetch             ${h.meanMiBps} MiB/s vs raw GETs ${h.rawGetMiBps} MiB/s = ${h.ratio}x; agent ${h.MiBPerCpuSecond} MiB/CPU-s`,
    );
  const sweep = s.sweep as (PhaseResult & { partitions: number })[] | undefined;
  if (sweep) {
    log(
      "  | partitions | MiB/s | DynamoDB writes/flush | WCU/flush | RRU/flush | flush KiB | request $/GiB | MiB/agent CPU-s |",
    );
    for (const p of sweep)
      log(
        `  | ${p.partitions} | ${p.MiBps} | ${p.dynamoWritesPerFlush} | ${p.writeUnitsPerFlush} | ${p.readUnitsPerFlush} | ${p.meanObjectKiB} | $${p.requestUsdPerGiB} | ${p.MiBPerCpuSecond} |`,
      );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
