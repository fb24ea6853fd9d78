/**
 * Agent benchmarks (issue 3), each a ratio measured side by side in one run on this machine:
 *   1. produce MB/s through the agent vs a raw S3 PUT loop of the same bytes to the same stand-in
 *   2. S3 PUTs and DynamoDB writes per flush
 *   3. catch-up fetch MB/s (cold agent) vs raw ranged GETs of the same objects
 *   4. hot-tail fetch MB/s (the agent that wrote the data) vs raw ranged GETs
 *   5. produce-to-consume latency with a long-polling consumer
 *
 *   npx tsx bench/agent.ts [--seconds 8] [--json]
 *
 * The stand-ins run in a child process (as they would beside real agents); the agent runs in
 * this process behind counting stores so requests can be counted exactly.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import { encodeRecordBatch } from "../client/src/format/index.js";
import {
  createDynamoDbClient,
  createS3Client,
  standInAwsConfig,
} from "../functions/src/adapters/aws/aws-clients.js";
import { DynamoManifestStore } from "../functions/src/adapters/aws/dynamo-manifest-store.js";
import { S3ObjectStore } from "../functions/src/adapters/aws/s3-object-store.js";
import { startServer } from "../functions/src/agent/serve.js";
import { loadConfig } from "../functions/src/config.js";
import { ENTRY_PREFIX, partitionPk } from "../functions/src/engine/keys.js";
import { entryFromData } from "../functions/src/engine/model.js";
import type { ByteRange, ObjectStore } from "../functions/src/ports/object-store.js";
import { createRuntime } from "../functions/src/runtime.js";
import { CountingManifestStore } from "../test/support/faults.js";
import { spawnStandIns } from "../test/support/processes.js";

const args = process.argv.slice(2);
const SECONDS = Number(args[args.indexOf("--seconds") + 1] ?? 8) || 8;
const JSON_OUT = args.includes("--json");
const PRODUCERS = 8;
const IN_FLIGHT_PER_PRODUCER = 8;
const RECORDS_PER_REQUEST = 64;
const RECORD_BYTES = 1024;
const PARTITIONS = 8;

class CountingObjectStore implements ObjectStore {
  puts = 0;
  gets = 0;
  constructor(private readonly inner: ObjectStore) {}
  put(key: string, body: Uint8Array) {
    this.puts++;
    return this.inner.put(key, body);
  }
  get(key: string, range?: ByteRange) {
    this.gets++;
    return this.inner.get(key, range);
  }
  delete(key: string) {
    return this.inner.delete(key);
  }
  list(prefix: string, options?: { cursor?: string; limit?: number }) {
    return this.inner.list(prefix, options);
  }
}

function log(line: string): void {
  if (!JSON_OUT) process.stderr.write(`${line}\n`);
}

/** One produce request: RECORDS_PER_REQUEST records of RECORD_BYTES, as one uncompressed batch. */
function requestBody(): Uint8Array {
  const value = new Uint8Array(RECORD_BYTES).fill(97);
  return encodeRecordBatch({
    compression: "none",
    records: Array.from({ length: RECORDS_PER_REQUEST }, () => ({
      key: null,
      value,
      headers: [],
      timestamp: Date.now(),
    })),
  });
}

/** Runs `workers` loops of `op` for `seconds`; returns payload MB/s. */
async function loop(
  workers: number,
  seconds: number,
  op: (worker: number, n: number) => Promise<number>,
): Promise<number> {
  const deadline = Date.now() + seconds * 1000;
  const start = Date.now();
  let bytes = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      for (let n = 0; Date.now() < deadline; n++) {
        const done = await op(w, n); // not `bytes += await op()`: that reads `bytes` before awaiting
        bytes += done;
      }
    }),
  );
  return bytes / 1e6 / ((Date.now() - start) / 1000);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<void> {
  const standIns = await spawnStandIns();
  const aws = standInAwsConfig(standIns);
  const s3: S3Client = createS3Client(aws);
  const dynamodb = createDynamoDbClient(aws);
  const objects = new CountingObjectStore(new S3ObjectStore(s3, standIns.bucket));
  const manifest = new CountingManifestStore(new DynamoManifestStore(dynamodb, standIns.table));
  const config = loadConfig({
    FLOE_STORAGE: "aws",
    FLOE_BUCKET: standIns.bucket,
    FLOE_TABLE: standIns.table,
  });
  const runtime = createRuntime(config, { objects, manifest });
  const server = await startServer(runtime, "127.0.0.1", 0);
  const results: Record<string, number | string> = {};
  try {
    await fetch(`${server.url}/v1/topics`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "bench", partitions: PARTITIONS }),
    });
    const body = requestBody();
    const payloadBytes = RECORDS_PER_REQUEST * RECORD_BYTES;

    // 1. produce vs raw PUT ------------------------------------------------------------------------
    log(
      `produce: ${PRODUCERS} producers x ${IN_FLIGHT_PER_PRODUCER} in flight, ${RECORDS_PER_REQUEST} x ${RECORD_BYTES} B records per request, ${SECONDS}s each`,
    );
    const before = {
      puts: objects.puts,
      writes: manifest.counts.put,
      flushes: runtime.batcher!.stats.flushes,
      partitions: runtime.log.writer.stats.partitionsCommitted,
    };
    const floeMBps = await loop(PRODUCERS * IN_FLIGHT_PER_PRODUCER, SECONDS, async (w) => {
      const res = await fetch(`${server.url}/v1/topics/bench/partitions/${w % PARTITIONS}/records`, {
        method: "POST",
        headers: { "content-type": "application/vnd.floe.batch" },
        body: body as Uint8Array<ArrayBuffer>,
      });
      if (res.status !== 200) throw new Error(`produce answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
      return payloadBytes;
    });
    const flushes = runtime.batcher!.stats.flushes - before.flushes;
    const partitionsCommitted = runtime.log.writer.stats.partitionsCommitted - before.partitions;
    const rawPutMBps = await loop(PRODUCERS * IN_FLIGHT_PER_PRODUCER, SECONDS, async (w, n) => {
      await new S3ObjectStore(s3, standIns.bucket).put(`raw/${w}/${n}`, body);
      return payloadBytes;
    });
    results.produce_MBps = round(floeMBps);
    results.raw_put_MBps = round(rawPutMBps);
    results.produce_ratio = round(floeMBps / rawPutMBps);
    results.s3_puts_per_flush = round((objects.puts - before.puts) / flushes);
    results.dynamodb_writes_per_partition_flush = round(
      (manifest.counts.put - before.writes) / partitionsCommitted,
    );
    results.partitions_per_flush = round(partitionsCommitted / flushes);
    results.mean_segment_MB = round((floeMBps * SECONDS) / flushes);

    // 3 + 4. fetch: cold agent vs hot-tail agent vs raw ranged GETs ---------------------------------
    const entries: ({ partition: number } & ReturnType<typeof entryFromData>)[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      const topic = await runtime.log.topics.require("bench");
      let cursor: string | undefined;
      do {
        const page = await manifest.query(partitionPk(topic.topicId, p), {
          prefix: ENTRY_PREFIX,
          ...(cursor ? { cursor } : {}),
        });
        for (const item of page.items) entries.push({ partition: p, ...entryFromData(item.data) });
        cursor = page.cursor;
      } while (cursor);
    }
    const recent = entries.slice(-Math.max(1, Math.floor(entries.length / 4)));
    const rangeBytes = (list: typeof entries) => list.reduce((n, e) => n + e.len, 0);
    const rawGets = async (list: typeof entries) => {
      const start = Date.now();
      const queue = [...list];
      await Promise.all(
        Array.from({ length: PARTITIONS }, async () => {
          for (let e = queue.shift(); e; e = queue.shift())
            await new S3ObjectStore(s3, standIns.bucket).get(e.segmentKey, {
              start: e.pos,
              end: e.pos + e.len,
            });
        }),
      );
      return rangeBytes(list) / 1e6 / ((Date.now() - start) / 1000);
    };
    const fetchAll = async (url: string, from: (p: number) => number, until: (p: number) => number) => {
      const start = Date.now();
      let bytes = 0;
      await Promise.all(
        Array.from({ length: PARTITIONS }, async (_, p) => {
          for (let offset = from(p); offset < until(p); ) {
            const res = await fetch(
              `${url}/v1/topics/bench/partitions/${p}/records?offset=${offset}&max_bytes=4194304&max_records=10000`,
              { headers: { accept: "application/vnd.floe.batch" } },
            );
            const got = (await res.arrayBuffer()).byteLength;
            bytes += got;
            offset = Number(res.headers.get("floe-next-offset"));
          }
        }),
      );
      return bytes / 1e6 / ((Date.now() - start) / 1000);
    };
    const highWatermarks = await Promise.all(
      Array.from({ length: PARTITIONS }, async (_, p) => (await runtime.log.tail("bench", p)).highWatermark),
    );
    const cold = createRuntime(config, {
      objects: new S3ObjectStore(s3, standIns.bucket),
      manifest: new DynamoManifestStore(dynamodb, standIns.table),
    });
    const coldServer = await startServer(cold, "127.0.0.1", 0);
    const catchUpMBps = await fetchAll(
      coldServer.url,
      () => 0,
      (p) => highWatermarks[p]!,
    );
    await coldServer.close();
    const rawCatchUpMBps = await rawGets(entries);
    results.catch_up_fetch_MBps = round(catchUpMBps);
    results.raw_ranged_get_MBps = round(rawCatchUpMBps);
    results.catch_up_ratio = round(catchUpMBps / rawCatchUpMBps);

    const recentStart = new Map<number, number>();
    for (const e of recent)
      recentStart.set(
        e.partition,
        Math.min(recentStart.get(e.partition) ?? Number.MAX_SAFE_INTEGER, e.baseOffset),
      );
    // Interleaved rounds, so machine noise hits both sides alike. "strong" is the default
    // (every fetch reads the partition head from DynamoDB); "cached" sets FLOE_HEAD_CACHE_MS=100
    // on the writing agent, the setting for tailing consumers (docs/architecture.md § Read path).
    const hotRange = {
      from: (p: number) => recentStart.get(p) ?? highWatermarks[p]!,
      to: (p: number) => highWatermarks[p]!,
    };
    const limits = runtime.log.limits as { headCacheMs: number };
    const rounds = { strong: [] as number[], cached: [] as number[], raw: [] as number[] };
    for (let r = 0; r < 3; r++) {
      limits.headCacheMs = 0;
      rounds.strong.push(await fetchAll(server.url, hotRange.from, hotRange.to));
      rounds.raw.push(await rawGets(recent));
      limits.headCacheMs = 100;
      rounds.cached.push(await fetchAll(server.url, hotRange.from, hotRange.to));
    }
    limits.headCacheMs = 0;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    results.hot_tail_fetch_MBps = round(mean(rounds.strong));
    results.hot_tail_fetch_head_cached_MBps = round(mean(rounds.cached));
    results.raw_get_same_ranges_MBps = round(mean(rounds.raw));
    results.hot_tail_ratio = round(mean(rounds.strong) / mean(rounds.raw));
    results.hot_tail_head_cached_ratio = round(mean(rounds.cached) / mean(rounds.raw));
    results.hot_tail_hits = runtime.log.hotTail.hits;

    // 5. latency ------------------------------------------------------------------------------------
    const latencies: number[] = [];
    await fetch(`${server.url}/v1/topics`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "latency", partitions: 1 }),
    });
    const samples = 60;
    const consumer = (async () => {
      let offset = 0;
      while (latencies.length < samples) {
        const res = await fetch(
          `${server.url}/v1/topics/latency/partitions/0/records?offset=${offset}&wait=10`,
        );
        const reply = (await res.json()) as { records: { value: string }[]; next_offset: number };
        const now = performance.now();
        for (const r of reply.records) latencies.push(now - Number(r.value));
        offset = reply.next_offset;
      }
    })();
    for (let i = 0; i < samples; i++) {
      void fetch(`${server.url}/v1/topics/latency/partitions/0/records`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ records: [{ value: String(performance.now()) }] }),
      });
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
    await consumer;
    latencies.sort((a, b) => a - b);
    results.linger_ms = config.lingerMs;
    results.latency_p50_ms = round(percentile(latencies, 50));
    results.latency_p99_ms = round(percentile(latencies, 99));
  } finally {
    await server.close();
    s3.destroy();
    dynamodb.destroy();
    await standIns.stop();
  }
  if (JSON_OUT) {
    process.stdout.write(`${JSON.stringify(results)}\n`);
  } else {
    const width = Math.max(...Object.keys(results).map((k) => k.length));
    for (const [k, v] of Object.entries(results)) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
  }
  process.exit(0);
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
