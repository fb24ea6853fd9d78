/**
 * The buffered Lambda handler (API Gateway HTTP API payload v2, BUFFERED Function URLs) driven
 * with the events those services send, through the real HTTP app and AWS adapters, against the
 * stand-ins: produce → fetch in JSON and binary, base64 bodies, Lambda's limits, the runtime
 * built once per cold start, and the metrics lines.
 */
import { randomBytes } from "node:crypto";
import type { APIGatewayProxyResult } from "hono/aws-lambda";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { decodeRecordBatches, encodeRecordBatch } from "../../client/src/format/index.js";
import { ENV } from "../../functions/src/config.js";
import { createHttpHandler, type HttpHandler } from "../../functions/src/lambda/http-handler.js";
import {
  METRIC_PRODUCE_LATENCY,
  METRIC_SERVER_ERRORS,
  METRICS_NAMESPACE,
} from "../../functions/src/lambda/metrics.js";
import { LAMBDA_PAYLOAD_BYTES_MAX } from "../../functions/src/lambda/payload-limits.js";
import { uniqueName, useStandIns } from "../support/standins.js";
import {
  asLambdaEvent,
  type EventKind,
  type HttpRequestSpec,
  httpEvent,
  lambdaContext,
  lambdaStorageEnv,
} from "./events.js";

const MiB = 1024 * 1024;
const standIns = useStandIns();
let env: Record<string, string>;
let handler: HttpHandler;
const errors: string[] = [];
const lines: string[] = [];

beforeAll(async () => {
  // Credentials come from the SDK's default chain, as on Lambda (the execution role's keys are env vars there).
  vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
  env = {
    ...(await lambdaStorageEnv(standIns())),
    [ENV.region]: "us-east-1",
    AWS_LAMBDA_FUNCTION_NAME: "floe-test",
  };
  handler = createHttpHandler(env, { writeLine: (l) => lines.push(l), writeError: (l) => errors.push(l) });
});

afterAll(() => {
  vi.unstubAllEnvs();
});

interface Reply {
  result: APIGatewayProxyResult;
  status: number;
  json: Record<string, unknown>;
}

async function call(kind: EventKind, spec: HttpRequestSpec, target: HttpHandler = handler): Promise<Reply> {
  const result = await target(asLambdaEvent(httpEvent(kind, spec)), lambdaContext());
  const type = String(result.headers?.["content-type"] ?? "");
  const json = type.startsWith("application/json")
    ? (JSON.parse(result.body) as Record<string, unknown>)
    : {};
  return { result, status: result.statusCode, json };
}

async function createTopic(kind: EventKind, name: string): Promise<void> {
  const reply = await call(kind, {
    method: "POST",
    path: "/v1/topics",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, partitions: 1 }),
  });
  expect(reply.status, JSON.stringify(reply.json)).toBe(201);
}

describe.each<EventKind>(["api-gateway-v2", "function-url"])("%s events", (kind) => {
  it("produces JSON (text and base64 bodies) and a binary LZ4 batch, then fetches all of it as JSON and as batches", async () => {
    // Prepare
    const topic = uniqueName(`t-${kind}`);
    await createTopic(kind, topic);
    const jsonRecords = [
      { key: "k1", value: "hello" },
      { key: null, value: "x".repeat(4000), headers: [{ name: "h", value: "v" }] },
    ];
    const binaryValues = ["bin-a", "bin-b".repeat(500)];
    const batch = encodeRecordBatch({
      compression: "lz4",
      records: binaryValues.map((v, i) => ({
        key: null,
        value: Buffer.from(v),
        headers: [],
        timestamp: 1_700_000_000_000 + i,
      })),
    });

    // Act
    const text = await call(kind, {
      method: "POST",
      path: `/v1/topics/${topic}/partitions/0/records`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ records: jsonRecords.slice(0, 1) }),
    });
    const base64 = await call(kind, {
      method: "POST",
      path: `/v1/topics/${topic}/partitions/0/records`,
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify({ records: jsonRecords.slice(1) }),
      base64: true,
    });
    const binary = await call(kind, {
      method: "POST",
      path: `/v1/topics/${topic}/partitions/0/records`,
      headers: { "content-type": "application/vnd.floe.batch" },
      body: batch,
    });
    const asJson = await call(kind, {
      method: "GET",
      path: `/v1/topics/${topic}/partitions/0/records`,
      query: "offset=0&max_records=10&max_bytes=1048576",
      headers: { accept: "application/json" },
      // Browsers' cookies reach the function as the v2 `cookies` array; Floe ignores them.
      cookies: ["session=abc", "theme=dark"],
    });
    const asBatches = await call(kind, {
      method: "GET",
      path: `/v1/topics/${topic}/partitions/0/records`,
      query: "offset=0",
      headers: { accept: "application/vnd.floe.batch" },
    });

    // Assess
    expect(
      [text.status, base64.status, binary.status],
      JSON.stringify([text.json, base64.json, binary.json]),
    ).toEqual([200, 200, 200]);
    expect([text.json.base_offset, base64.json.base_offset, binary.json.base_offset]).toEqual([0, 1, 2]);
    expect(asJson.status, JSON.stringify(asJson.json)).toBe(200);
    expect(asJson.result.isBase64Encoded).toBe(false);
    const records = asJson.json.records as Array<{ offset: number; key: string | null; value: string }>;
    expect(records.map((r) => [r.offset, r.key, r.value])).toEqual([
      [0, "k1", "hello"],
      [1, null, "x".repeat(4000)],
      [2, null, binaryValues[0]],
      [3, null, binaryValues[1]],
    ]);
    expect(asJson.json.high_watermark).toBe(4);
    expect(asBatches.status).toBe(200);
    expect(asBatches.result.isBase64Encoded).toBe(true);
    expect(asBatches.result.headers?.["content-type"]).toBe("application/vnd.floe.batch");
    const decoded = decodeRecordBatches(Buffer.from(asBatches.result.body, "base64"));
    const values = decoded.flatMap((b) =>
      b.records.map((r) => [r.offset, Buffer.from(r.value ?? []).toString()]),
    );
    expect(values).toEqual([
      [0, "hello"],
      [1, "x".repeat(4000)],
      [2, binaryValues[0]],
      [3, binaryValues[1]],
    ]);
  });

  it("answers 413 request_too_large for a base64 body over 4 MiB that still fits Lambda's 6 MB event, and leaves the log unchanged", async () => {
    // Prepare: 4.25 MiB of bytes is 5.67 MiB of base64: under the platform's limit, over Floe's.
    const topic = uniqueName(`big-${kind}`);
    await createTopic(kind, topic);
    const body = new Uint8Array(4 * MiB + MiB / 4).fill(7);
    const event = httpEvent(kind, {
      method: "POST",
      path: `/v1/topics/${topic}/partitions/0/records`,
      headers: { "content-type": "application/vnd.floe.batch" },
      body,
    });
    expect(Buffer.byteLength(JSON.stringify(event))).toBeLessThan(LAMBDA_PAYLOAD_BYTES_MAX);

    // Act
    const result = await handler(asLambdaEvent(event), lambdaContext());
    const tail = await call(kind, { method: "GET", path: `/v1/topics/${topic}/partitions/0/tail` });

    // Assess
    expect(result.statusCode).toBe(413);
    expect(JSON.parse(result.body)).toMatchObject({
      error_code: "request_too_large",
      limit_bytes: 4 * MiB,
      retriable: false,
    });
    expect(tail.json.high_watermark).toBe(0);
  });
});

describe("Lambda limits and the cold start", () => {
  it("measures the 4 MiB produce limit on decoded bytes: a 3.5 MiB batch arrives as 4.7 MiB of base64 and is accepted", async () => {
    // Prepare
    const topic = uniqueName("near-limit");
    await createTopic("api-gateway-v2", topic);
    // Four batches (Kafka's max.message.bytes bounds each batch at 1 MiB), one body.
    const batches = Array.from({ length: 4 }, (_, i) =>
      encodeRecordBatch({
        records: [
          { key: null, value: randomBytes(900 * 1024), headers: [], timestamp: 1_700_000_000_000 + i },
        ],
      }),
    );
    const batch = Buffer.concat(batches);
    const event = httpEvent("api-gateway-v2", {
      method: "POST",
      path: `/v1/topics/${topic}/partitions/0/records`,
      headers: { "content-type": "application/vnd.floe.batch" },
      body: batch,
    });
    expect(String(event.body).length).toBeGreaterThan(4 * MiB);

    // Act
    const result = await handler(asLambdaEvent(event), lambdaContext());

    // Assess
    expect(result.statusCode, result.body).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ base_offset: 0, last_offset: 3 });
  });

  it("caps wait at 20 s (API Gateway's 30 s timeout) with a 400 stating the limit", async () => {
    // Prepare
    const topic = uniqueName("wait");
    await createTopic("api-gateway-v2", topic);

    // Act
    const tooLong = await call("api-gateway-v2", {
      method: "GET",
      path: `/v1/topics/${topic}/partitions/0/records`,
      query: "offset=0&wait=21",
    });
    const started = Date.now();
    const allowed = await call("api-gateway-v2", {
      method: "GET",
      path: `/v1/topics/${topic}/partitions/0/records`,
      query: "offset=0&wait=0.3",
    });

    // Assess
    expect(tooLong.status).toBe(400);
    expect(tooLong.json).toMatchObject({ error_code: "invalid_request", limit_seconds: 20 });
    expect(allowed.status).toBe(200);
    expect(allowed.json.records).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it("answers a reply too large for Lambda's 6 MB response limit with a JSON error instead of letting the platform drop it", async () => {
    // Prepare: control characters cost 6 bytes each once JSON-escaped (\u0001), so 1.2 MiB of
    // stored values becomes ~7.5 MB of reply: within max_bytes, over Lambda's response limit.
    const topic = uniqueName("wide");
    await createTopic("function-url", topic);
    const value = Buffer.alloc(600 * 1024, 1).toString("base64");
    const produced = await call("function-url", {
      method: "POST",
      path: `/v1/topics/${topic}/partitions/0/records`,
      headers: { "content-type": "application/json", "floe-format": "base64" },
      body: JSON.stringify({ records: [{ value }, { value }] }),
    });
    expect(produced.status, JSON.stringify(produced.json)).toBe(200);
    errors.length = 0;
    lines.length = 0;

    // Act
    const wide = await call("function-url", {
      method: "GET",
      path: `/v1/topics/${topic}/partitions/0/records`,
      query: "offset=0",
    });
    const narrow = await call("function-url", {
      method: "GET",
      path: `/v1/topics/${topic}/partitions/0/records`,
      query: "offset=0&max_records=1",
    });

    // Assess
    expect(wide.status).toBe(500);
    expect(wide.json).toMatchObject({ error_code: "internal", limit_bytes: LAMBDA_PAYLOAD_BYTES_MAX });
    expect(String(wide.json.message)).toContain("max_bytes");
    expect(errors.join("\n")).toContain("response limit");
    const counted = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l[METRIC_SERVER_ERRORS] === 1);
    expect(counted).toMatchObject([{ status: 500 }]);
    expect(narrow.status).toBe(200);
    expect(Buffer.byteLength(narrow.result.body)).toBeLessThan(LAMBDA_PAYLOAD_BYTES_MAX);
  });

  it("builds config, clients and app once per cold start, with Lambda's limits, and writes produce latency as EMF", async () => {
    // Prepare: a fresh handler is a fresh cold start.
    const written: string[] = [];
    const coldStart = createHttpHandler(env, { writeLine: (l) => written.push(l) });
    const topic = uniqueName("cold");

    // Act
    const replies = [
      await call("api-gateway-v2", { method: "GET", path: "/v1/topics" }, coldStart),
      await call(
        "api-gateway-v2",
        { method: "POST", path: "/v1/topics", body: JSON.stringify({ name: topic, partitions: 1 }) },
        coldStart,
      ),
      await call(
        "function-url",
        {
          method: "POST",
          path: `/v1/topics/${topic}/records`,
          body: JSON.stringify({ records: [{ value: "v" }] }),
        },
        coldStart,
      ),
    ];

    // Assess
    expect(replies.map((r) => r.status)).toEqual([200, 201, 200]);
    const parsed = written.map((l) => JSON.parse(l) as Record<string, unknown>);
    const ready = parsed.filter((l) => l.msg === "floe lambda runtime ready");
    expect(ready).toHaveLength(1);
    expect(ready[0]).toMatchObject({
      bucket: env[ENV.bucket],
      table: env[ENV.table],
      request_bytes_max: 4 * MiB,
      wait_ms_max: 20_000,
    });
    const emf = parsed.filter((l) => typeof l[METRIC_PRODUCE_LATENCY] === "number");
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      FunctionName: "floe-test",
      status: 200,
      _aws: {
        CloudWatchMetrics: [
          {
            Namespace: METRICS_NAMESPACE,
            Dimensions: [["FunctionName"]],
            Metrics: [{ Name: METRIC_PRODUCE_LATENCY, Unit: "Milliseconds" }],
          },
        ],
      },
    });
  });
});

describe("configuration errors", () => {
  it.each([
    ["missing bucket", ENV.bucket, undefined],
    ["missing table", ENV.table, undefined],
    ["a container platform", ENV.platform, "container"],
    ["embedded storage", ENV.storage, "embedded"],
  ])(
    "answers JSON 500 internal naming the variable for %s, logs it, and recovers once it is set",
    async (_what, name, value) => {
      // Prepare
      const broken: Record<string, string> = { ...env };
      if (value === undefined) delete broken[name];
      else broken[name] = value;
      const logged: string[] = [];
      const misconfigured = createHttpHandler(broken, {
        writeLine: () => {},
        writeError: (l) => logged.push(l),
      });
      const fixed = createHttpHandler(env, { writeLine: () => {}, writeError: (l) => logged.push(l) });

      // Act
      const first = await call("api-gateway-v2", { method: "GET", path: "/v1/topics" }, misconfigured);
      const second = await call("function-url", { method: "GET", path: "/v1/topics" }, misconfigured);
      const healthy = await call("api-gateway-v2", { method: "GET", path: "/v1/topics" }, fixed);

      // Assess
      for (const reply of [first, second]) {
        expect(reply.status).toBe(500);
        expect(reply.result.headers?.["content-type"]).toContain("application/json");
        expect(reply.json).toMatchObject({ error_code: "internal" });
        expect(String(reply.json.message)).toContain(name);
      }
      expect(logged.filter((l) => l.includes(name))).toHaveLength(2);
      expect(healthy.status).toBe(200);
    },
  );
});
