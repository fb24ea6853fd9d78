/**
 * Client throughput vs raw HTTP, side by side in one run, against one agent on the S3/DynamoDB
 * stand-ins (in this process).
 *
 *   produce, client: Producer (binary transport, idempotent, 5 in flight per partition)
 *   produce, raw:    the same records pre-encoded as the same RecordBatch bodies (same batch
 *                    size), POSTed with fetch, 5 in flight per partition. Unstamped: concurrent
 *                    requests overtake each other, and an idempotent sequence would then need the
 *                    client's in-order resend machinery — which is what is being measured.
 *   consume, client: Consumer over the binary transport, from the start to the end
 *   consume, raw:    GET ...?offset=N with Accept: application/vnd.floe.batch in a loop per
 *                    partition, following Floe-Next-Offset, records counted from batch headers;
 *                    "raw+decode" also decodes every record (CRC checked), as the client does
 *
 * The ratio client/raw is the cost of the client's machinery (buffering, partitioning, batching,
 * promises, retries bookkeeping, decoding records). Both sides share the machine with the agent
 * and the stand-ins, so absolute numbers are low; the ratio is the point.
 *
 *   npx tsx bench/client-throughput.ts            (BENCH_RECORDS, BENCH_RECORD_BYTES,
 *                                                  BENCH_PARTITIONS, BENCH_ROUNDS override)
 */

import { decodeRecordBatches, encodeRecordBatch, readBatchHeader } from "../client/src/format/index.js";
import { FloeClient } from "../client/src/index.js";
import { startServer } from "../functions/src/agent/serve.js";
import { loadConfig } from "../functions/src/config.js";
import { startStandIns } from "../functions/src/local/standins.js";
import { awsStores, createRuntime } from "../functions/src/runtime.js";

const RECORDS = Number(process.env.BENCH_RECORDS ?? 200_000);
const RECORD_BYTES = Number(process.env.BENCH_RECORD_BYTES ?? 100);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const BATCH_RECORDS = 1000;
const IN_FLIGHT = 5;

interface Result {
  name: string;
  seconds: number;
  records: number;
  bytes: number;
}

function payloads(): { key: Uint8Array; value: Uint8Array }[] {
  const encoder = new TextEncoder();
  return Array.from({ length: RECORDS }, (_, i) => ({
    key: encoder.encode(`key-${i % 1000}`),
    value: encoder.encode(`${i}:`.padEnd(RECORD_BYTES, "x")),
  }));
}

async function clientProduce(
  client: FloeClient,
  topic: string,
  records: ReturnType<typeof payloads>,
): Promise<Result> {
  const producer = client.producer({ batchRecordsMax: BATCH_RECORDS, lingerMs: 5 });
  const started = performance.now();
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    await producer.submit(topic, { key: r.key, value: r.value, partition: i % PARTITIONS });
  }
  await producer.close(); // flushes: resolves once every record is durable, rejects on any failure
  return {
    name: "produce: client",
    seconds: (performance.now() - started) / 1000,
    records: records.length,
    bytes: records.length * RECORD_BYTES,
  };
}

async function rawProduce(url: string, topic: string, records: ReturnType<typeof payloads>): Promise<Result> {
  // Same partitioning and batch boundaries as the client's.
  const bodies: Uint8Array[][] = Array.from({ length: PARTITIONS }, () => []);
  for (let p = 0; p < PARTITIONS; p++) {
    const mine = records.filter((_, i) => i % PARTITIONS === p);
    for (let at = 0; at < mine.length; at += BATCH_RECORDS) {
      const slice = mine.slice(at, at + BATCH_RECORDS);
      bodies[p]!.push(
        encodeRecordBatch({
          records: slice.map((r) => ({ key: r.key, value: r.value, headers: [], timestamp: Date.now() })),
        }),
      );
    }
  }
  const started = performance.now();
  await Promise.all(
    bodies.map(async (list, p) => {
      // Pipelined in order: request i+5 starts when request i has answered.
      const inFlight: Promise<void>[] = [];
      for (const body of list) {
        if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
        inFlight.push(
          fetch(`${url}/v1/topics/${topic}/partitions/${p}/records`, {
            method: "POST",
            headers: { "Content-Type": "application/vnd.floe.batch" },
            body: body as Uint8Array<ArrayBuffer>,
          }).then(async (response) => {
            const text = await response.text();
            if (!response.ok) throw new Error(`raw produce failed: ${response.status} ${text}`);
          }),
        );
      }
      await Promise.all(inFlight);
    }),
  );
  return {
    name: "produce: raw fetch",
    seconds: (performance.now() - started) / 1000,
    records: records.length,
    bytes: records.length * RECORD_BYTES,
  };
}

async function clientConsume(client: FloeClient, topic: string): Promise<Result> {
  const started = performance.now();
  let records = 0;
  let bytes = 0;
  for await (const r of client.consumer({
    topics: topic,
    from: "earliest",
    follow: false,
    maxBytes: 4 * 1024 * 1024,
  })) {
    records++;
    bytes += r.value?.length ?? 0;
  }
  return { name: "consume: client", seconds: (performance.now() - started) / 1000, records, bytes };
}

async function rawConsume(url: string, topic: string, decode: boolean): Promise<Result> {
  const started = performance.now();
  let records = 0;
  let bytes = 0;
  await Promise.all(
    Array.from({ length: PARTITIONS }, async (_, p) => {
      let offset = 0;
      for (;;) {
        const response = await fetch(
          `${url}/v1/topics/${topic}/partitions/${p}/records?offset=${offset}&max_bytes=${4 * 1024 * 1024}`,
          { headers: { Accept: "application/vnd.floe.batch" } },
        );
        const body = new Uint8Array(await response.arrayBuffer());
        if (decode) {
          for (const batch of decodeRecordBatches(body)) records += batch.records.length;
        } else {
          for (let at = 0; at < body.length; ) {
            const header = readBatchHeader(body, at);
            records += header.recordCount;
            at += header.batchLength + 12;
          }
        }
        bytes += body.length;
        const next = Number(response.headers.get("floe-next-offset"));
        const end = Number(response.headers.get("floe-high-watermark"));
        if (next >= end || next === offset) break;
        offset = next;
      }
    }),
  );
  return {
    name: decode ? "consume: raw+decode" : "consume: raw fetch",
    seconds: (performance.now() - started) / 1000,
    records,
    bytes,
  };
}

function row(r: Result): string {
  const rps = r.records / r.seconds;
  const mbps = r.bytes / r.seconds / 1e6;
  return `| ${r.name.padEnd(19)} | ${r.records.toString().padStart(8)} | ${r.seconds.toFixed(2).padStart(6)} | ${Math.round(rps).toLocaleString("en-US").padStart(10)} | ${mbps.toFixed(1).padStart(6)} |`;
}

async function main(): Promise<void> {
  const standIns = await startStandIns({ bucket: "floe-bench", table: "floe-bench" });
  const config = {
    ...loadConfig(
      { FLOE_BUCKET: standIns.bucket, FLOE_TABLE: standIns.table },
      { storage: "aws", platform: "container" },
    ),
    s3Endpoint: standIns.s3Endpoint,
    dynamodbEndpoint: standIns.dynamodbEndpoint,
  };
  const stores = awsStores(config, { standIn: true });
  const runtime = createRuntime(config, stores);
  const server = await startServer(runtime, "127.0.0.1", 0);
  const client = new FloeClient({ url: server.url });
  const records = payloads();
  const best = new Map<string, Result>();
  const keep = (r: Result) => {
    const prior = best.get(r.name);
    if (!prior || r.seconds < prior.seconds) best.set(r.name, r);
  };
  try {
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate which side goes first, so warm-up and cache effects do not favour one.
      const sides = round % 2 === 0 ? (["client", "raw"] as const) : (["raw", "client"] as const);
      for (const side of sides) {
        const topic = `bench-${side}-${round}-${Date.now()}`;
        await client.admin.createTopic(topic, { partitions: PARTITIONS });
        keep(
          side === "client"
            ? await clientProduce(client, topic, records)
            : await rawProduce(server.url, topic, records),
        );
        if (side === "client") keep(await clientConsume(client, topic));
        else {
          keep(await rawConsume(server.url, topic, false));
          keep(await rawConsume(server.url, topic, true));
        }
      }
    }
  } finally {
    await server.close();
    stores.destroy();
    await standIns.stop();
  }
  const lines = [
    `client vs raw HTTP: ${RECORDS} records of ${RECORD_BYTES} B, ${PARTITIONS} partitions, batches of ${BATCH_RECORDS}, best of ${ROUNDS} rounds (node ${process.version}, agent in-process on the stand-ins)`,
    "",
    "| path                |  records |      s |  records/s |   MB/s |",
    "|---------------------|---------:|-------:|-----------:|-------:|",
    ...[
      "produce: client",
      "produce: raw fetch",
      "consume: client",
      "consume: raw fetch",
      "consume: raw+decode",
    ].map((n) => row(best.get(n)!)),
    "",
  ];
  for (const op of ["produce", "consume"]) {
    const c = best.get(`${op}: client`)!;
    const r = best.get(`${op}: raw fetch`)!;
    lines.push(`${op}: client / raw = ${(c.records / c.seconds / (r.records / r.seconds)).toFixed(2)}`);
  }
  const c = best.get("consume: client")!;
  const d = best.get("consume: raw+decode")!;
  lines.push(
    `consume: client / raw+decode = ${(c.records / c.seconds / (d.records / d.seconds)).toFixed(2)}`,
  );
  process.stdout.write(`${lines.join("\n")}\n`);
}

await main();
