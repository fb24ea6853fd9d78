/**
 * Idempotent-producer input at the HTTP boundary: producer ids have a documented character set
 * and length (400 otherwise), a binary body's batches carry one consistent stamp or none (400
 * otherwise), and a partition's producer table refuses newcomers with 409 `producer_limit` when
 * full. Every refusal changes nothing.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ERROR_TABLE } from "../../client/src/errors.js";
import { encodeRecordBatch } from "../../client/src/format/index.js";
import { DEFAULT_PRODUCER_LIMITS } from "../../functions/src/engine/commit-plan.js";
import { buildHarness, createTopic, type Harness } from "./harness.js";

const enc = new TextEncoder();
let h: Harness;

beforeEach(async () => {
  h = await buildHarness();
});
afterEach(() => h.close());

const records = (topic: string) => `/v1/topics/${topic}/partitions/0/records`;

async function highWatermark(topic: string): Promise<number> {
  const res = await h.request(`/v1/topics/${topic}/partitions/0/tail`);
  return ((await res.json()) as { high_watermark: number }).high_watermark;
}

function produce(topic: string, id: string, sequence = 0, value = "v") {
  return h.json("POST", records(topic), { records: [{ value }], producer: { id, epoch: 0, sequence } });
}

describe("producer ids", () => {
  it.each(["__proto__", "_hidden", "a/b", "a b", "ü", "x".repeat(65), ""])(
    "refuses %j with 400 invalid_request naming producer.id, writing nothing",
    async (id) => {
      // Prepare
      const topic = await createTopic(h);
      // Act
      const res = await produce(topic, id);
      // Assess
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error_code: "invalid_request", field: "producer.id" });
      expect(await highWatermark(topic)).toBe(0);
    },
  );

  it("accepts ids that name Object.prototype members and 64-character ids, deduplicating their retries", async () => {
    // Prepare
    const topic = await createTopic(h);
    const ids = ["constructor", "toString", "hasOwnProperty", "x".repeat(64), "a.b-c_d"];
    // Act
    const offsets = async (res: Response) => {
      const { base_offset, last_offset } = (await res.json()) as Record<string, number>;
      return [res.status, base_offset, last_offset];
    };
    const first = await Promise.all(ids.map(async (id) => offsets(await produce(topic, id, 0, id))));
    const again = await Promise.all(ids.map(async (id) => offsets(await produce(topic, id, 0, id))));
    // Assess
    expect(first.map(([status]) => status)).toEqual(ids.map(() => 200));
    expect(again).toEqual(first);
    expect(await highWatermark(topic)).toBe(ids.length);
  });

  it("documents the id rule in the OpenAPI schema", async () => {
    const doc = (await (await h.request("/v1/openapi.json")).json()) as {
      components: { schemas: { Producer: { properties: { id: { pattern: string } } } } };
    };
    expect(doc.components.schemas.Producer.properties.id.pattern).toBe("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$");
  });
});

describe("binary bodies with several batches", () => {
  const batch = (value: string, stamp?: { producerId: number; baseSequence: number }) =>
    encodeRecordBatch({
      ...(stamp ? { producerId: stamp.producerId, producerEpoch: 0, baseSequence: stamp.baseSequence } : {}),
      records: [{ key: null, value: enc.encode(value), headers: [], timestamp: 1 }],
    });
  const post = (topic: string, parts: Uint8Array[]) =>
    h.request(records(topic), {
      method: "POST",
      headers: { "content-type": "application/vnd.floe.batch" },
      body: Buffer.concat(parts),
    });

  it("refuses an unstamped first batch followed by stamped ones, so a resend cannot write them twice", async () => {
    // Prepare
    const topic = await createTopic(h);
    const body = [batch("plain"), batch("stamped", { producerId: 9, baseSequence: 0 })];
    // Act
    const first = await post(topic, body);
    const resent = await post(topic, body);
    // Assess
    expect(first.status).toBe(400);
    expect(await first.json()).toMatchObject({ error_code: "invalid_request", batch: 1 });
    expect(resent.status).toBe(400);
    expect(await highWatermark(topic)).toBe(0);
  });

  it("refuses a stamped first batch followed by an unstamped one, and accepts consistent stamps", async () => {
    const topic = await createTopic(h);
    const mixed = await post(topic, [batch("a", { producerId: 9, baseSequence: 0 }), batch("b")]);
    const consistent = [
      batch("a", { producerId: 9, baseSequence: 0 }),
      batch("b", { producerId: 9, baseSequence: 1 }),
    ];
    const ok = await post(topic, consistent);
    const duplicate = await post(topic, consistent);
    expect(mixed.status).toBe(400);
    expect(ok.status).toBe(200);
    expect(await duplicate.json()).toMatchObject({ base_offset: 0, last_offset: 1 });
    expect(await highWatermark(topic)).toBe(2);
  });
});

describe("the producer table of a partition", () => {
  it("refuses a new producer past the limit with 409 producer_limit, retriable, naming the limit", async () => {
    // Prepare
    const topic = await createTopic(h);
    const max = DEFAULT_PRODUCER_LIMITS.maxProducersPerPartition;
    for (let i = 0; i < max; i++) expect((await produce(topic, `p${i}`)).status).toBe(200);
    // Act
    const refused = await produce(topic, "newcomer");
    const oldRetry = await produce(topic, "p0");
    // Assess
    expect(refused.status).toBe(ERROR_TABLE.producer_limit.status);
    expect(await refused.json()).toMatchObject({
      error_code: "producer_limit",
      retriable: true,
      limit_producers: max,
    });
    expect(oldRetry.status).toBe(200);
    expect(await oldRetry.json()).toMatchObject({ base_offset: 0, last_offset: 0 });
    expect(await highWatermark(topic)).toBe(max);
  });
});
