/**
 * Error replies and limits: every failure is the shared table's JSON with its status, limits are
 * enforced with the limit stated, and a rejected request changes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_TABLE, FloeError } from "../../client/src/errors.js";
import { encodeRecordBatch } from "../../client/src/format/index.js";
import { buildHarness, createTopic, type Harness, TOKEN } from "./harness.js";

interface ErrorReply {
  error_code: keyof typeof ERROR_TABLE;
  message: string;
  retriable: boolean;
  [detail: string]: unknown;
}

async function expectError(
  res: Response,
  status: number,
  code: keyof typeof ERROR_TABLE,
): Promise<ErrorReply> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = JSON.parse(text) as ErrorReply;
  expect(body.error_code).toBe(code);
  expect(ERROR_TABLE[body.error_code].status).toBe(status);
  expect(body.retriable).toBe(ERROR_TABLE[code].retriable);
  return body;
}

const LIMITS = {
  requestBytesMax: 4_096,
  requestRecordsMax: 10,
  fetchBytesMax: 65_536,
  fetchRecordsMax: 100,
  waitMsMax: 2_000,
};

describe("errors and limits", () => {
  let h: Harness;
  let topic: string;
  const path = () => `/v1/topics/${topic}/partitions/0/records`;

  beforeAll(async () => {
    h = await buildHarness({ limits: LIMITS });
    topic = await createTopic(h, 2, { "max.message.bytes": 100 });
  });
  afterAll(() => h.close());

  it("answers an unknown route 404 route_not_found and a wrong method 405 with Allow", async () => {
    // Act
    const unknown = await h.request("/v2/nothing");
    const wrongMethod = await h.request(`/v1/topics/${topic}/partitions/0/tail`, { method: "POST" });
    // Assess
    await expectError(unknown, 404, "route_not_found");
    const body = await expectError(wrongMethod, 405, "method_not_allowed");
    expect(wrongMethod.headers.get("allow")).toContain("GET");
    expect(body.message).toContain("GET");
  });

  it("answers malformed JSON, invalid UTF-8 and wrong content types with JSON errors", async () => {
    // Act
    const malformed = await h.json("POST", path(), '{"records": [');
    const notUtf8 = await h.request(path(), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Uint8Array([0x7b, 0xff, 0x7d]),
    });
    const text = await h.request(path(), {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: '{"records":[{"value":"x"}]}',
    });
    const form = await h.request(`/v1/topics/${topic}/records`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "a=b",
    });
    // Assess
    expect((await expectError(malformed, 400, "invalid_request")).message).toContain("malformed JSON");
    expect((await expectError(notUtf8, 400, "invalid_request")).message).toContain("UTF-8");
    await expectError(text, 415, "unsupported_media_type");
    await expectError(form, 415, "unsupported_media_type");
  });

  it("names the offending field of a body, query, path or header", async () => {
    // Act
    const badKey = await h.json("POST", path(), { records: [{ value: "ok" }, { key: 7 }] });
    const typo = await h.json("POST", path(), { records: [{ valeu: "x" }] });
    const badOffset = await h.request(`${path()}?offset=-1`);
    const badPartition = await h.request(`/v1/topics/${topic}/partitions/1e3/records`);
    const badFormat = await h.request(`${path()}?offset=0`, { headers: { "floe-format": "hex" } });
    const badBase64 = await h.json(
      "POST",
      path(),
      { records: [{ value: "not base64!" }] },
      { "floe-format": "base64" },
    );
    // Assess
    expect((await expectError(badKey, 400, "invalid_request")).field).toBe("records[1].key");
    expect((await expectError(typo, 400, "invalid_request")).message).toContain("valeu");
    expect((await expectError(badOffset, 400, "invalid_request")).field).toBe("offset");
    expect((await expectError(badPartition, 400, "invalid_request")).field).toBe("partition");
    expect((await expectError(badFormat, 400, "invalid_request")).field).toBe("Floe-Format");
    expect((await expectError(badBase64, 400, "invalid_request")).field).toBe("records[0].value");
  });

  it("rejects offsets and partitions that are not non-negative safe integers, and topic names Kafka refuses", async () => {
    // Act
    const replies = await Promise.all(
      [
        `${path()}?offset=NaN`,
        `${path()}?offset=1e3`,
        `${path()}?offset=99999999999999999`,
        `${path()}?offset=%200`,
        `/v1/topics/${topic}/partitions/-1/records`,
        `/v1/topics/${topic}/partitions/0x1/records`,
        "/v1/topics/a%00b/partitions/0/records",
        "/v1/topics/..%2Fetc/partitions/0/records",
        "/v1/topics/%2e%2e%2f/partitions/0/tail",
        `/v1/topics/${"x".repeat(250)}`,
      ].map((p) => h.request(p)),
    );
    // Assess
    for (const res of replies) await expectError(res, 400, "invalid_request");
  });

  it("answers a partition beyond the topic's count 404 partition_not_found", async () => {
    // Act
    const fetch = await h.request(`/v1/topics/${topic}/partitions/2/records`);
    const produce = await h.json("POST", `/v1/topics/${topic}/records`, {
      records: [{ value: "x", partition: 9 }],
    });
    // Assess
    await expectError(fetch, 404, "partition_not_found");
    await expectError(produce, 404, "partition_not_found");
  });

  it("enforces the body limit while reading, without trusting Content-Length", async () => {
    // Prepare
    let pulled = 0;
    const endless = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1_024;
        controller.enqueue(new Uint8Array(1_024).fill(0x20));
      },
    });
    // Act
    const streamed = await h.request(path(), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: endless,
      duplex: "half",
    } as RequestInit);
    const declared = await h.request(path(), {
      method: "POST",
      headers: { "content-type": "application/vnd.floe.batch", "content-length": "999999" },
      body: new Uint8Array(10),
    });
    // Assess
    expect((await expectError(streamed, 413, "request_too_large")).limit_bytes).toBe(LIMITS.requestBytesMax);
    expect(pulled).toBeLessThan(LIMITS.requestBytesMax + 4 * 1_024);
    await expectError(declared, 413, "request_too_large");
  });

  it("limits records per request and bytes per record (413 with the limit)", async () => {
    // Act
    const many = await h.json("POST", path(), {
      records: Array.from({ length: 11 }, () => ({ value: "x" })),
    });
    const big = await h.json("POST", `/v1/topics/${topic}/records`, {
      records: [{ value: "y" }, { value: "z".repeat(101) }],
    });
    const bigBatch = await h.request(path(), {
      method: "POST",
      headers: { "content-type": "application/vnd.floe.batch" },
      body: Buffer.from(
        encodeRecordBatch({
          records: [{ key: null, value: new Uint8Array(300), headers: [], timestamp: 1 }],
        }),
      ),
    });
    // Assess
    expect((await expectError(many, 413, "request_too_large")).limit_records).toBe(10);
    expect((await expectError(big, 413, "record_too_large")).limit_bytes).toBe(100);
    await expectError(bigBatch, 413, "record_too_large");
  });

  it("refuses fetch limits above the server's ceilings and two start selectors", async () => {
    // Act
    const bytes = await h.request(`${path()}?max_bytes=65537`);
    const records = await h.request(`${path()}?max_records=101`);
    const wait = await h.request(`${path()}?wait=3`);
    const two = await h.request(`${path()}?offset=0&tail_offset=1`);
    // Assess
    expect((await expectError(bytes, 400, "invalid_request")).limit_bytes).toBe(65_536);
    expect((await expectError(records, 400, "invalid_request")).limit_records).toBe(100);
    expect((await expectError(wait, 400, "invalid_request")).limit_seconds).toBe(2);
    await expectError(two, 400, "invalid_request");
  });

  it("rejects empty and corrupt binary bodies", async () => {
    // Prepare
    const batch = encodeRecordBatch({
      records: [{ key: null, value: new Uint8Array([1]), headers: [], timestamp: 1 }],
    });
    const corrupt = Buffer.from(batch);
    corrupt[corrupt.length - 1]! ^= 0xff;
    // Act
    const empty = await h.request(path(), {
      method: "POST",
      headers: { "content-type": "application/vnd.floe.batch" },
    });
    const broken = await h.request(path(), {
      method: "POST",
      headers: { "content-type": "application/vnd.floe.batch" },
      body: corrupt,
    });
    const truncated = await h.request(path(), {
      method: "POST",
      headers: { "content-type": "application/vnd.floe.batch" },
      body: Buffer.from(batch.subarray(0, 30)),
    });
    // Assess
    await expectError(empty, 400, "invalid_request");
    await expectError(broken, 400, "invalid_request");
    await expectError(truncated, 400, "invalid_request");
  });
});

describe("JSON values nested too deep to serialise", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await buildHarness();
  });
  afterAll(() => h.close());

  it("refuses them with 400 stating the depth limit, on produce and on fetch, instead of a 500", async () => {
    // Prepare: the text of a value far deeper than JSON.stringify can recurse, stored as utf8.
    const topic = await createTopic(h);
    const deep = `${"[".repeat(5_000)}${"]".repeat(5_000)}`;
    const path = `/v1/topics/${topic}/partitions/0/records`;
    expect((await h.json("POST", path, { records: [{ value: deep }] })).status).toBe(200);
    // Act
    const produced = await h.json("POST", path, `{"records":[{"value":${deep}}]}`, { "floe-format": "json" });
    const fetched = await h.request(`${path}?offset=0`, { headers: { "floe-format": "json" } });
    // Assess
    const refused = await expectError(produced, 400, "invalid_request");
    expect(refused.field).toBe("records[0].value");
    expect(refused.limit_depth).toBe(512);
    const unshown = await expectError(fetched, 400, "invalid_request");
    expect(unshown.offset).toBe(0);
    expect(unshown.message).toContain("base64");
    expect((await h.log.tail(topic, 0)).highWatermark).toBe(1);
  });
});

describe("failures inside the engine", () => {
  it("answers an unexpected exception 500 internal without the stack, and logs it", async () => {
    // Prepare
    const logged: unknown[] = [];
    const h = await buildHarness({
      logError: (error) => logged.push(error),
      appender: () => ({
        append: async () => {
          throw new Error("disk on fire");
        },
      }),
    });
    const topic = await createTopic(h);
    // Act
    const res = await h.json("POST", `/v1/topics/${topic}/partitions/0/records`, {
      records: [{ value: "x" }],
    });
    // Assess
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(JSON.parse(text)).toMatchObject({ error_code: "internal", retriable: true });
    expect(text).not.toContain("disk on fire");
    expect(text).not.toContain("at ");
    expect(logged).toHaveLength(1);
    expect((logged[0] as Error).message).toBe("disk on fire");
    h.close();
  });

  it("passes on a failed partition as 503 with Retry-After, and as a per-record error (207) in a multi-partition produce", async () => {
    // Prepare
    const h = await buildHarness({
      appender: (log) => ({
        append: async (appends) => {
          // Partition 1 is "unavailable"; the others are appended for real.
          const ok = await log.append(appends.filter((a) => a.partition !== 1));
          return appends.map((a) =>
            a.partition === 1
              ? { ok: false as const, error: new FloeError("unavailable", "try later", {}, 2) }
              : ok.shift()!,
          );
        },
      }),
    });
    const topic = await createTopic(h, 2);
    // Act
    const single = await h.json("POST", `/v1/topics/${topic}/partitions/1/records`, {
      records: [{ value: "x" }],
    });
    const multi = await h.json("POST", `/v1/topics/${topic}/records`, {
      records: [
        { value: "a", partition: 0 },
        { value: "b", partition: 1 },
        { value: "c", partition: 0 },
      ],
    });
    // Assess
    expect(single.status).toBe(503);
    expect(single.headers.get("retry-after")).toBe("2");
    expect(multi.status).toBe(207);
    expect(await multi.json()).toMatchObject({
      failed_record_count: 1,
      results: [
        { partition: 0, offset: 0 },
        { error_code: "unavailable", retriable: true },
        { partition: 0, offset: 1 },
      ],
    });
    h.close();
  });
});

describe("authentication", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await buildHarness({ apiTokens: [TOKEN, "second-token"] });
  });
  afterAll(() => h.close());

  it("requires a valid bearer token everywhere but /healthz", async () => {
    // Act
    const missing = await h.app.request("/v1/topics");
    const wrong = await h.app.request("/v1/topics", { headers: { authorization: "Bearer nope" } });
    const basic = await h.app.request("/v1/topics", { headers: { authorization: `Basic ${TOKEN}` } });
    const unknownRoute = await h.app.request("/v1/secret");
    const good = await h.app.request("/v1/topics", { headers: { authorization: "Bearer second-token" } });
    const health = await h.app.request("/healthz");
    // Assess
    for (const res of [missing, wrong, basic, unknownRoute]) {
      await expectError(res, 401, "unauthenticated");
      expect(res.headers.get("www-authenticate")).toContain("Bearer");
    }
    expect(good.status).toBe(200);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "ok", platform: "container" });
  });
});
