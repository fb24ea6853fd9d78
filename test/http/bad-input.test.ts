/**
 * Generated bad requests thrown at the real app (testing.md § Bad input). Invariants: never a 5xx;
 * every error is JSON with a code from the shared table and that code's status; and after any 4xx
 * nothing changed (the topic list and every partition's bounds are compared before and after).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ERROR_TABLE, isErrorCode } from "../../client/src/errors.js";
import { encodeRecordBatch } from "../../client/src/format/index.js";
import { corruptBatchArb } from "../unit/format/corrupt-batch.js";
import { buildHarness, type Harness, TOKEN } from "./harness.js";

interface BadRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Uint8Array<ArrayBuffer> | string;
}

const TOPIC = "fuzz";
const PARTITIONS = 3;
const MAX_MESSAGE_BYTES = 200;
const LIMITS = { requestBytesMax: 8_192, requestRecordsMax: 20, waitMsMax: 100, sseSessionMsMax: 100 };
const enc = new TextEncoder();

const json = (body: unknown) => JSON.stringify(body);
const partitionPath = (p: string | number = 0, topic = TOPIC) =>
  `/v1/topics/${topic}/partitions/${p}/records`;
const post = (
  path: string,
  body: Uint8Array<ArrayBuffer> | string,
  contentType = "application/json",
  extra: Record<string, string> = {},
): BadRequest => ({
  method: "POST",
  path,
  headers: { "content-type": contentType, ...extra },
  body,
});

const produceRoute = fc.constantFrom(partitionPath(0), partitionPath(2), `/v1/topics/${TOPIC}/records`);
const smallRecords = fc.array(fc.record({ value: fc.string({ maxLength: 20 }) }), {
  minLength: 1,
  maxLength: 3,
});

const malformedJson = fc
  .tuple(
    produceRoute,
    fc.oneof(
      fc.string(),
      fc.constantFrom('{"records": [', "{records: []}", "[]", "null", "1", '{"records": null}', ""),
    ),
  )
  .filter(([, text]) => {
    try {
      const value: unknown = JSON.parse(text);
      return typeof value !== "object" || value === null || Array.isArray(value);
    } catch {
      return true;
    }
  })
  .map(([path, text]) => post(path, text));

const wrongContentType = fc
  .tuple(
    produceRoute,
    fc.constantFrom(
      "text/plain",
      "application/xml",
      "multipart/form-data; boundary=x",
      "application/octet-stream",
      "application/jsonx",
      "*/*",
    ),
    smallRecords,
  )
  .map(([path, type, records]) => post(path, json({ records }), type));

const invalidUtf8 = fc
  .tuple(produceRoute, fc.constantFrom(0xff, 0xc0, 0xfe, 0x80, 0xed), fc.nat(12))
  .map(([path, byte, at]) => {
    const text = enc.encode(json({ records: [{ value: "abcdefghijkl" }] }));
    const bytes = new Uint8Array(text);
    bytes[18 + at] = byte; // inside the value string
    return post(path, bytes);
  });

const oversized = fc.oneof(
  fc
    .tuple(produceRoute, fc.integer({ min: MAX_MESSAGE_BYTES + 1, max: 2_000 }))
    .map(([path, n]) => post(path, json({ records: [{ value: "v".repeat(n) }] }))),
  fc
    .tuple(produceRoute, fc.integer({ min: LIMITS.requestBytesMax + 1, max: 3 * LIMITS.requestBytesMax }))
    .map(([path, n]) => post(path, json({ records: [{ value: "v".repeat(n) }] }))),
  fc
    .tuple(produceRoute, fc.integer({ min: LIMITS.requestRecordsMax + 1, max: 60 }))
    .map(([path, n]) => post(path, json({ records: Array.from({ length: n }, () => ({ value: "x" })) }))),
  fc.integer({ min: MAX_MESSAGE_BYTES + 70, max: 4_000 }).map((n) =>
    post(
      partitionPath(1),
      new Uint8Array(
        encodeRecordBatch({
          records: [{ key: null, value: new Uint8Array(n), headers: [], timestamp: 1 }],
        }),
      ),
      "application/vnd.floe.batch",
    ),
  ),
);

const weirdNumber = fc.oneof(
  fc.integer({ min: -1_000_000, max: -1 }).map(String),
  fc.constantFrom(
    "NaN",
    "Infinity",
    "-0",
    "1e3",
    "0x10",
    " 1",
    "1.5",
    "",
    "99999999999999999999",
    "9007199254740993",
    "%00",
    "1%2F2",
  ),
  fc.string({ maxLength: 8 }).map(encodeURIComponent),
);

const badOffsets = fc
  .tuple(
    fc.constantFrom("offset", "timestamp", "tail_offset", "max_records", "max_bytes", "wait", "clamp"),
    weirdNumber,
    fc.constantFrom(0, 1),
  )
  .map(
    ([name, value, p]): BadRequest => ({
      method: "GET",
      path: `${partitionPath(p)}?${name}=${value}`,
      headers: {},
    }),
  );

const badPartitions = fc
  .tuple(
    fc.oneof(fc.integer({ min: PARTITIONS, max: Number.MAX_SAFE_INTEGER }).map(String), weirdNumber),
    fc.constantFrom("GET", "POST"),
    fc.constantFrom("records", "tail"),
  )
  .map(([p, method, leaf]): BadRequest => {
    const path = `/v1/topics/${TOPIC}/partitions/${p}/${leaf}`;
    return method === "POST"
      ? post(path, json({ records: [{ value: "x" }] }))
      : { method, path, headers: {} };
  });

const emptyBatches = fc.oneof(
  produceRoute.map((path) => post(path, json({ records: [] }))),
  fc.constant(post(partitionPath(0), new Uint8Array(0), "application/vnd.floe.batch")),
  fc.tuple(fc.nat(80), fc.integer({ min: 1, max: 255 })).map(([at, flip]) => {
    const bytes = new Uint8Array(
      encodeRecordBatch({
        records: [{ key: null, value: enc.encode("flip me"), headers: [], timestamp: 1 }],
      }),
    );
    const i = 8 + (at % (bytes.length - 8)); // bytes 0-7 (base offset) are not covered by the CRC
    bytes[i] = bytes[i]! ^ flip;
    return post(partitionPath(0), bytes, "application/vnd.floe.batch");
  }),
  fc
    .uint8Array({ minLength: 1, maxLength: 100 })
    .map((bytes) => post(partitionPath(0), bytes, "application/vnd.floe.batch")),
);

/** Right CRC, broken records (every kind in corrupt-batch.ts): 400, nothing stored. */
const corruptBatches = fc
  .tuple(corruptBatchArb(), fc.constantFrom(0, 1, 2))
  .map(([{ bytes }, p]) => post(partitionPath(p), new Uint8Array(bytes), "application/vnd.floe.batch"));

const badTopicNames = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(
        "..%2F",
        "%2e%2e%2f",
        "a%00b",
        "%00",
        "..%2Fetc",
        "%2E%2E%5C",
        "a%2Fb",
        "x".repeat(250),
        "caf%C3%A9",
        "a%20b",
        "%ZZ",
        "a%",
      ),
      fc
        .string({ minLength: 1, maxLength: 12 })
        .filter((s) => !/^[a-zA-Z0-9._-]+$/.test(s))
        .map(encodeURIComponent),
    ),
    fc.constantFrom("describe", "delete", "patch", "fetch", "produce", "tail", "create"),
  )
  .map(([name, route]): BadRequest => {
    switch (route) {
      case "describe":
        return { method: "GET", path: `/v1/topics/${name}`, headers: {} };
      case "delete":
        return { method: "DELETE", path: `/v1/topics/${name}`, headers: {} };
      case "patch":
        return { ...post(`/v1/topics/${name}`, json({ partitions: 5 })), method: "PATCH" };
      case "fetch":
        return { method: "GET", path: partitionPath(0, name), headers: {} };
      case "tail":
        return { method: "GET", path: `/v1/topics/${name}/partitions/0/tail`, headers: {} };
      case "produce":
        return post(partitionPath(0, name), json({ records: [{ value: "x" }] }));
      default:
        return post("/v1/topics", json({ name: decodeURIComponentSafe(name), partitions: 1 }));
    }
  });

const sequences = fc
  .tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 3 }))
  .map(([epoch, sequence, n]) =>
    post(
      partitionPath(0),
      json({
        records: Array.from({ length: n }, (_, i) => ({ value: `s${i}` })),
        producer: { id: "fuzz-producer", epoch, sequence },
      }),
    ),
  );

const staleMatchOffsets = fc
  .integer({ min: 0, max: 1_000 })
  .map((offset) => post(partitionPath(1), json({ records: [{ value: "m" }], match_offset: offset })));

const badTokens = fc
  .tuple(
    fc.oneof(
      fc.constant(undefined),
      fc.constantFrom(
        "Bearer",
        "Bearer ",
        `Bearer ${TOKEN}x`,
        `Basic ${TOKEN}`,
        `bearer  ${TOKEN.slice(1)}`,
        "Bearer a b",
        TOKEN,
      ),
      fc
        .string({ maxLength: 30 })
        .filter((s) => !s.includes(TOKEN))
        .map((s) => `Bearer ${s}`),
    ),
    fc.constantFrom("/v1/topics", partitionPath(0), `/v1/topics/${TOPIC}`, "/v1/openapi.json", "/nowhere"),
  )
  .map(
    ([authorization, path]): BadRequest => ({
      method: "GET",
      path,
      headers: { authorization: authorization ?? "" },
    }),
  );

const badRequest: fc.Arbitrary<BadRequest> = fc.oneof(
  malformedJson,
  wrongContentType,
  invalidUtf8,
  oversized,
  badOffsets,
  badPartitions,
  emptyBatches,
  corruptBatches,
  badTopicNames,
  sequences,
  staleMatchOffsets,
  badTokens,
);

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

describe("bad input", () => {
  let h: Harness;

  /** Everything a request could change: the topics and each partition's bounds and last timestamp. */
  async function snapshot(): Promise<string> {
    const topics = await h.log.topics.list();
    const state: unknown[] = [];
    for (const topic of topics.sort((a, b) => a.name.localeCompare(b.name))) {
      const tails = await Promise.all(
        Array.from({ length: topic.partitions }, (_, p) => h.log.tail(topic.name, p)),
      );
      state.push([topic.name, topic.partitions, topic.config, tails]);
    }
    return JSON.stringify(state);
  }

  beforeAll(async () => {
    h = await buildHarness({ apiTokens: [TOKEN], limits: LIMITS });
    const created = await h.json("POST", "/v1/topics", {
      name: TOPIC,
      partitions: PARTITIONS,
      config: { "max.message.bytes": MAX_MESSAGE_BYTES },
    });
    expect(created.status).toBe(201);
    const seeded = await h.json("POST", partitionPath(0), {
      records: [{ value: "a" }, { value: "b" }],
      producer: { id: "fuzz-producer", epoch: 1, sequence: 0 },
    });
    expect(seeded.status).toBe(200);
  });
  afterAll(() => h.close());

  it("never answers 5xx, always answers a table error, and changes nothing on a 4xx", async () => {
    await fc.assert(
      fc.asyncProperty(badRequest, async (req) => {
        // Prepare
        const before = await snapshot();
        const headers = new Headers(req.headers);
        if (!headers.has("authorization")) headers.set("authorization", `Bearer ${TOKEN}`);
        else if (headers.get("authorization") === "") headers.delete("authorization");
        // Act
        const res = await h.app.request(req.path, {
          method: req.method,
          headers,
          ...(req.body !== undefined ? { body: req.body } : {}),
        });
        const text = await res.text();
        const after = await snapshot();
        // Assess
        expect(res.status, `${req.method} ${req.path}: ${text}`).toBeLessThan(500);
        if (res.status >= 400) {
          expect(res.headers.get("content-type")).toContain("application/json");
          const body = JSON.parse(text) as { error_code?: unknown; message?: unknown };
          expect(isErrorCode(body.error_code), text).toBe(true);
          expect(ERROR_TABLE[body.error_code as keyof typeof ERROR_TABLE].status).toBe(res.status);
          expect(typeof body.message).toBe("string");
          expect(after, `${req.method} ${req.path} answered ${res.status} but changed the log`).toBe(before);
        }
      }),
      { numRuns: 400 },
    );
  });
});
