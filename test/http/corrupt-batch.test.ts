/**
 * A binary produce whose batches pass the header and CRC checks but whose records are broken is
 * refused with 400 invalid_request and stores nothing (testing.md § Bad input): before, such a
 * batch was acknowledged and every later JSON read of its range answered 400, so a consumer
 * starting before it could never get past.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeRecordBatch } from "../../client/src/format/index.js";
import { corruptBatchArb, rawBatch, varint } from "../unit/format/corrupt-batch.js";
import { buildHarness, createTopic, type Harness } from "./harness.js";

const BATCH = "application/vnd.floe.batch";
const enc = new TextEncoder();
const records = (topic: string) => `/v1/topics/${topic}/partitions/0/records`;

interface FetchReply {
  records: { offset: number; value: unknown }[];
  high_watermark: number;
}

describe("binary produce validates every record", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await buildHarness();
  });
  afterAll(() => h.close());

  const produce = (topic: string, body: Uint8Array) =>
    h.request(records(topic), {
      method: "POST",
      headers: { "content-type": BATCH },
      body: body as Uint8Array<ArrayBuffer>,
    });
  const valid = (values: string[]) =>
    encodeRecordBatch({
      records: values.map((v, i) => ({ key: null, value: enc.encode(v), headers: [], timestamp: 1_000 + i })),
    });

  it("refuses a corrupt batch, and a JSON read from offset 0 still works", async () => {
    // Prepare: one good batch, then one whose only record has a key length past its end.
    const topic = await createTopic(h);
    expect((await produce(topic, valid(["a", "b"]))).status).toBe(200);
    const corrupt = rawBatch({
      codec: 0,
      records: [
        {
          attributes: new Uint8Array([0]),
          timestampDelta: varint(0),
          offsetDelta: varint(0),
          key: varint(40),
          value: varint(-1),
          headerCount: varint(0),
          headers: new Uint8Array(0),
        },
      ],
    });
    // Act
    const refused = await produce(topic, new Uint8Array([...valid(["x"]), ...corrupt]));
    const after = await produce(topic, valid(["c"]));
    const read = await h.request(`${records(topic)}?offset=0`);
    // Assess
    expect(refused.status).toBe(400);
    const error = (await refused.json()) as { error_code: string; message: string };
    expect(error.error_code).toBe("invalid_request");
    expect(error.message).toContain("batch 1 (at byte");
    expect(error.message).toContain("record 0: key length 40 runs past the end of the record");
    expect(after.status).toBe(200);
    expect(read.status).toBe(200);
    const reply = (await read.json()) as FetchReply;
    expect(reply.records.map((r) => [r.offset, r.value])).toEqual([
      [0, "a"],
      [1, "b"],
      [2, "c"],
    ]);
    expect(reply.high_watermark).toBe(3);
  });

  it("answers 400 invalid_request to every kind of corruption, and the high watermark stays", async () => {
    const topic = await createTopic(h);
    expect((await produce(topic, valid(["seed"]))).status).toBe(200);
    await fc.assert(
      fc.asyncProperty(corruptBatchArb(), fc.boolean(), async ({ kind, bytes }, afterValid) => {
        // Prepare: sometimes behind a valid batch in the same body, which must not be stored either.
        const body = afterValid ? new Uint8Array([...valid(["v"]), ...bytes]) : bytes;
        // Act
        const res = await produce(topic, body);
        const read = await h.request(`${records(topic)}?offset=0`);
        // Assess
        expect(res.status, kind).toBe(400);
        expect(((await res.json()) as { error_code: string }).error_code).toBe("invalid_request");
        expect(read.status).toBe(200);
        const reply = (await read.json()) as FetchReply;
        expect(reply.high_watermark, kind).toBe(1);
        expect(reply.records.map((r) => r.value)).toEqual(["seed"]);
      }),
      { numRuns: 150 },
    );
  });
});
