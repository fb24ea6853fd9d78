/**
 * Bad input on the Kafka port: every case ends in an error code or a closed connection, the
 * agent keeps serving other connections, and nothing is stored.
 */
import { describe, expect, it } from "vitest";
import { encodeRecordBatch } from "../../client/src/format/index.js";
import type { Message } from "../../functions/src/kafka/codec/codec.js";
import { KAFKA } from "../../functions/src/kafka/errors.js";
import { kafkaTopic, useKafkaAgent } from "./harness.js";
import { WireClient } from "./wire.js";

const FRAME_BYTES_MAX = 64 * 1024;

function produceBody(topic: string, records: Uint8Array, acks = -1): Message {
  return {
    transactionalId: null,
    acks,
    timeoutMs: 5_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  };
}

function batch(value: string): Uint8Array {
  return encodeRecordBatch({
    records: [{ key: null, value: new TextEncoder().encode(value), headers: [], timestamp: Date.now() }],
  });
}

describe("bad input on the Kafka port", () => {
  const agent = useKafkaAgent({ limits: { frameBytesMax: FRAME_BYTES_MAX, inflightMax: 4 } });

  /** The agent still answers a well-formed request on a fresh connection. */
  async function stillServes(): Promise<void> {
    const client = await WireClient.open(agent().broker);
    client.send(18, 3, 1, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
    const answer = await client.response(18, 3);
    client.close();
    expect(answer?.body.errorCode).toBe(0);
  }

  async function closes(bytes: Uint8Array): Promise<void> {
    const client = await WireClient.open(agent().broker);
    client.raw(bytes);
    expect(await client.closedByServer()).toBe(true);
    await stillServes();
  }

  it("closes on a frame larger than the limit, before buffering it", async () => {
    const head = new Uint8Array(4);
    new DataView(head.buffer).setInt32(0, FRAME_BYTES_MAX + 1);
    await closes(head);
  });

  it("closes on negative and too-small sizes", async () => {
    await closes(Uint8Array.of(0xff, 0xff, 0xff, 0xfe));
    await closes(Uint8Array.of(0, 0, 0, 3, 1, 2, 3));
  });

  it("closes on an unknown API key and on a version it does not implement", async () => {
    await closes(WireClient.frame(999, 0, 1, new Uint8Array(0)));
    await closes(WireClient.frame(3, 99, 1, new Uint8Array(0)));
  });

  it("closes on a body that does not parse (garbage, truncated, trailing bytes)", async () => {
    await closes(WireClient.frame(3, 4, 1, Uint8Array.of(0x7f, 0xff, 0xff, 0xff)));
    await closes(WireClient.frame(0, 7, 1, Uint8Array.of(0, 0)));
    const good = WireClient.frame(3, 1, 1, { topics: null });
    const trailing = new Uint8Array(good.byteLength + 1);
    trailing.set(good);
    new DataView(trailing.buffer).setInt32(0, good.byteLength - 3);
    await closes(trailing);
  });

  it("answers ApiVersions of an unknown version with UNSUPPORTED_VERSION and its ranges (v0 grammar)", async () => {
    const client = await WireClient.open(agent().broker);
    client.send(18, 77, 5, new Uint8Array(0));
    const answer = await client.response(18, 0);
    client.close();
    expect(answer?.correlationId).toBe(5);
    expect(answer?.body.errorCode).toBe(KAFKA.UNSUPPORTED_VERSION);
    expect(answer?.body.apiKeys).toContainEqual({ apiKey: 18, minVersion: 0, maxVersion: 3 });
  });

  it("refuses corrupt and truncated batches with CORRUPT_MESSAGE and stores nothing", async () => {
    // Prepare
    const topic = kafkaTopic("bad");
    await agent().runtime.log.topics.create(topic, 1);
    const corrupt = batch("x");
    corrupt[corrupt.byteLength - 1]! ^= 0xff; // the CRC covers it
    const truncated = batch("y").subarray(0, 40);
    const client = await WireClient.open(agent().broker);
    // Act
    client.send(0, 7, 1, produceBody(topic, corrupt));
    client.send(0, 7, 2, produceBody(topic, truncated));
    client.send(0, 9, 3, produceBody(topic, corrupt)); // flexible version too
    const answers = [await client.response(0, 7), await client.response(0, 7), await client.response(0, 9)];
    client.close();
    // Assess
    for (const a of answers) {
      const p = (a!.body.responses as Message[])[0]!.partitionResponses as Message[];
      expect(p[0]!.errorCode).toBe(KAFKA.CORRUPT_MESSAGE);
    }
    expect(answers.map((a) => a!.correlationId)).toEqual([1, 2, 3]);
    expect((await agent().runtime.log.tail(topic, 0)).highWatermark).toBe(0);
  });

  it("answers pipelined requests in order, one client's bad batch failing only its partition", async () => {
    const topic = kafkaTopic("order");
    await agent().runtime.log.topics.create(topic, 1);
    const client = await WireClient.open(agent().broker);
    for (let i = 0; i < 10; i++)
      client.send(0, 8, 100 + i, produceBody(topic, i === 4 ? Uint8Array.of(1, 2, 3) : batch(`v${i}`)));
    const ids: number[] = [];
    const codes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const a = (await client.response(0, 8))!;
      ids.push(a.correlationId);
      codes.push(
        ((a.body.responses as Message[])[0]!.partitionResponses as Message[])[0]!.errorCode as number,
      );
    }
    client.close();
    expect(ids).toEqual([...Array(10).keys()].map((i) => 100 + i));
    expect(codes.filter((c) => c !== 0)).toEqual([KAFKA.CORRUPT_MESSAGE]);
    expect((await agent().runtime.log.tail(topic, 0)).highWatermark).toBe(9);
  });

  it("acks=0 gets no response, and the next request's response still comes", async () => {
    const topic = kafkaTopic("acks0");
    await agent().runtime.log.topics.create(topic, 1);
    const client = await WireClient.open(agent().broker);
    client.send(0, 7, 1, produceBody(topic, batch("fire-and-forget"), 0));
    client.send(3, 1, 2, { topics: [{ name: topic }] });
    const answer = await client.response(3, 1);
    client.close();
    expect(answer?.correlationId).toBe(2);
    expect(agent().errors).toEqual([]);
  });

  it("refuses transactional producers and a bad acks value with their error codes", async () => {
    const topic = kafkaTopic("txn");
    await agent().runtime.log.topics.create(topic, 1);
    const client = await WireClient.open(agent().broker);
    client.send(22, 4, 1, { transactionalId: "tx-1", transactionTimeoutMs: 60_000 });
    client.send(0, 7, 2, { ...produceBody(topic, batch("t")), transactionalId: "tx-1" });
    client.send(0, 7, 3, produceBody(topic, batch("t"), 5));
    const init = await client.response(22, 4);
    const txProduce = await client.response(0, 7);
    const badAcks = await client.response(0, 7);
    client.close();
    expect(init?.body.errorCode).toBe(KAFKA.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const code = (a: typeof txProduce) =>
      ((a!.body.responses as Message[])[0]!.partitionResponses as Message[])[0]!.errorCode;
    expect(code(txProduce)).toBe(KAFKA.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    expect(code(badAcks)).toBe(KAFKA.INVALID_REQUIRED_ACKS);
    expect((await agent().runtime.log.tail(topic, 0)).highWatermark).toBe(0);
  });
});
