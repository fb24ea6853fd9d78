/**
 * The one test that bundles for real: `cdk synth` with local esbuild (no Docker), then the
 * synthesised asset is loaded in a fresh Node process (no repository, no node_modules, nothing
 * but the asset) and a produce and a fetch go through its exported handlers with an API Gateway
 * v2 event and Function URL events (buffered and streaming), against the stand-ins.
 *
 * x86_64 because that is the machine that runs the test: the asset must carry lz4-napi's native
 * binary and the handler must report using it. A second run hides the binary (as on an arm64
 * function synthesised here) and must fall back to pure-JS LZ4 and read the same records,
 * including the LZ4 batches the native run wrote.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeRecordBatch } from "../../client/src/format/index.js";
import { ensureBucket, ensureTable } from "../../functions/src/adapters/aws/ensure-resources.js";
import { ENV } from "../../functions/src/config.js";
import { httpEvent, type RawEvent } from "../lambda/events.js";
import { uniqueName, useStandIns } from "../support/standins.js";
import { onlyLogicalId, propertiesOf, resourcesOf, type Synthesised, synth } from "./synth.js";

const standIns = useStandIns();
let synthesised: Synthesised;
let assetDir: string;
let env: Record<string, string>;

beforeAll(async () => {
  synthesised = synth({ compute: "lambda", architecture: "x86_64" }, { bundle: true });
  const fnId = onlyLogicalId(synthesised.template, "AWS::Lambda::Function");
  const [[, fn]] = resourcesOf(synthesised.template, "AWS::Lambda::Function").filter(
    ([id]) => id === fnId,
  ) as [[string, Record<string, unknown>]];
  const s3Key = (propertiesOf(fn).Code as { S3Key: string }).S3Key;
  assetDir = join(synthesised.outdir, `asset.${s3Key.replace(/\.zip$/, "")}`);

  const bucket = uniqueName("bucket");
  const table = uniqueName("table");
  await ensureBucket(standIns().s3, bucket);
  await ensureTable(standIns().dynamodb, table);
  // What the stack sets, plus what Lambda itself provides (region, credentials, function name).
  env = {
    PATH: process.env.PATH ?? "",
    [ENV.bucket]: bucket,
    [ENV.table]: table,
    [ENV.storage]: "aws",
    [ENV.platform]: "lambda",
    [ENV.region]: "us-east-1",
    [ENV.s3Endpoint]: standIns().s3Endpoint,
    [ENV.dynamodbEndpoint]: standIns().dynamodbEndpoint,
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
    AWS_LAMBDA_FUNCTION_NAME: "floe-bundle",
  };
}, 120_000);
afterAll(() => synthesised?.dispose());

interface Call {
  export: "handler" | "streamHandler";
  event: RawEvent;
}

interface Run {
  lines: string[];
  results: Array<Record<string, unknown>>;
}

function runBundle(calls: Call[], extraEnv: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, "invoke-bundle.mjs")], {
      cwd: assetDir,
      env: { ...env, ...extraEnv },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.once("error", reject);
    child.once("exit", (code) => {
      const lines = stdout.split("\n").filter(Boolean);
      const result = lines.find((l) => l.startsWith("RESULT "));
      if (code !== 0 || result === undefined)
        reject(new Error(`bundle run failed (exit ${code}):\n${stdout}\n${stderr}`));
      else
        resolve({
          lines,
          results: JSON.parse(result.slice("RESULT ".length)) as Array<Record<string, unknown>>,
        });
    });
    child.stdin.end(JSON.stringify({ bundle: assetDir, calls }));
  });
}

function readyLine(run: Run): Record<string, unknown> {
  const line = run.lines.find((l) => l.includes("floe lambda runtime ready"));
  if (!line) throw new Error(`no cold-start line in ${run.lines.join("\n")}`);
  return JSON.parse(line) as Record<string, unknown>;
}

const topic = uniqueName("bundled");
const big = "lz4 ".repeat(2000);
const fetchJson = (kind: "api-gateway-v2" | "function-url"): RawEvent =>
  httpEvent(kind, {
    method: "GET",
    path: `/v1/topics/${topic}/partitions/0/records`,
    query: "offset=0&max_records=100",
  });

describe("the synthesised Lambda bundle", () => {
  it("is self-contained ESM carrying lz4-napi's x86_64 binary next to its loader", () => {
    // Prepare / Act: synthesised in beforeAll.
    const files = [
      "index.mjs",
      "node_modules/lz4-napi/index.js",
      "node_modules/lz4-napi/lz4-napi.linux-x64-gnu.node",
    ];

    // Assess
    for (const file of files) expect(existsSync(join(assetDir, file)), file).toBe(true);
    expect(existsSync(join(assetDir, "node_modules/@aws-sdk"))).toBe(false);
  });

  it("produces and fetches through its handlers (API Gateway v2, Function URL buffered and streaming) with native LZ4", async () => {
    // Prepare
    const lz4Batch = encodeRecordBatch({
      compression: "lz4",
      records: [{ key: null, value: Buffer.from(big), headers: [], timestamp: 1_700_000_000_000 }],
    });
    const calls: Call[] = [
      {
        export: "handler",
        event: httpEvent("api-gateway-v2", {
          method: "POST",
          path: "/v1/topics",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ name: topic, partitions: 1 }),
        }),
      },
      {
        // JSON above 1 KiB: the server compresses it with LZ4 (functions/src/http/append-builder.ts).
        export: "handler",
        event: httpEvent("api-gateway-v2", {
          method: "POST",
          path: `/v1/topics/${topic}/partitions/0/records`,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ records: [{ key: "a", value: big }] }),
          base64: true,
        }),
      },
      {
        export: "streamHandler",
        event: httpEvent("function-url", {
          method: "POST",
          path: `/v1/topics/${topic}/partitions/0/records`,
          headers: { "content-type": "application/vnd.floe.batch" },
          body: lz4Batch,
        }),
      },
      { export: "handler", event: fetchJson("api-gateway-v2") },
      { export: "handler", event: fetchJson("function-url") },
      { export: "streamHandler", event: fetchJson("function-url") },
    ];

    // Act
    const run = await runBundle(calls);

    // Assess
    expect(readyLine(run)).toMatchObject({
      lz4: "native",
      request_bytes_max: 4 * 1024 * 1024,
      wait_ms_max: 20_000,
    });
    const [created, producedJson, producedBatch, viaApi, viaUrl, viaStream] = run.results;
    expect(created?.statusCode, JSON.stringify(created)).toBe(201);
    expect(JSON.parse(String(producedJson?.body))).toMatchObject({ base_offset: 0, last_offset: 0 });
    expect(producedBatch?.metadata).toMatchObject({ statusCode: 200 });
    expect(JSON.parse(String(producedBatch?.body))).toMatchObject({ base_offset: 1, last_offset: 1 });
    const expected = [
      [0, "a", big],
      [1, null, big],
    ];
    for (const body of [viaApi?.body, viaUrl?.body, viaStream?.body]) {
      const reply = JSON.parse(String(body)) as {
        records: Array<{ offset: number; key: string | null; value: string }>;
      };
      expect(reply.records.map((r) => [r.offset, r.key, r.value])).toEqual(expected);
    }
  });

  it("falls back to pure-JS LZ4 when the native binary cannot load, and reads the records the native run wrote", async () => {
    // Prepare: the loader tries only this path when it is set, as when no build matches the CPU.
    const hidden = { NAPI_RS_NATIVE_LIBRARY_PATH: join(assetDir, "no-such-binary.node") };

    // Act
    const run = await runBundle([{ export: "handler", event: fetchJson("api-gateway-v2") }], hidden);

    // Assess
    expect(readyLine(run)).toMatchObject({ lz4: "js" });
    const reply = JSON.parse(String(run.results[0]?.body)) as { records: Array<{ value: string }> };
    expect(reply.records.map((r) => r.value)).toEqual([big, big]);
  });
});
