/**
 * Review findings on the Kafka request path: per-request partition caps with bounded read
 * concurrency, Fetch byte limits as Kafka applies them (KIP-74), a stale cached head never
 * answering OFFSET_OUT_OF_RANGE, Produce answering the real log start, a failed acks=0 produce
 * closing the connection, and InitProducerId never bumping a client-named producer's epoch.
 */
import { describe, expect, it } from "vitest";
import { encodeRecordBatch } from "../../client/src/format/index.js";
import type { Message } from "../../functions/src/kafka/codec/codec.js";
import { KAFKA } from "../../functions/src/kafka/errors.js";
import { mapLimit } from "../../functions/src/kafka/map-limit.js";
import { kafkaTopic, startKafkaAgent, useKafkaAgent } from "./harness.js";
import { WireClient } from "./wire.js";

function batch(value: string): Uint8Array {
  return encodeRecordBatch({
    records: [{ key: null, value: new TextEncoder().encode(value), headers: [], timestamp: 1_000 }],
  });
}

function produce(topic: string, parts: { index: number; records: Uint8Array }[], acks = -1): Message {
  return {
    transactionalId: null,
    acks,
    timeoutMs: 5_000,
    topicData: [{ name: topic, partitionData: parts }],
  };
}

function fetchRequest(
  topic: string,
  partitions: { partition: number; fetchOffset: number; partitionMaxBytes: number }[],
  maxBytes = 1 << 20,
): Message {
  return {
    replicaId: -1,
    maxWaitMs: 0,
    minBytes: 0,
    maxBytes,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions }],
    forgottenTopicsData: [],
    rackId: "",
  };
}

const partitionsOf = (m: Message, list: string, inner: string): Message[] =>
  (m[list] as Message[]).flatMap((t) => t[inner] as Message[]);

describe("mapLimit", () => {
  it("never runs more than `limit` calls at once and keeps input order", async () => {
    let running = 0;
    let most = 0;
    const gates: (() => void)[] = [];
    const done = mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((r) => gates.push(r));
      running--;
      return n * 10;
    });
    // Release one waiting call at a time; each release lets exactly one more start.
    for (let released = 0; released < 7; released++) {
      while (gates.length === 0) await Promise.resolve();
      gates.shift()!();
      await Promise.resolve();
    }
    expect(await done).toEqual([10, 20, 30, 40, 50, 60, 70]);
    expect(most).toBe(3);
  });
});

describe("Kafka request bounds", () => {
  const agent = useKafkaAgent({ limits: { partitionsMax: 2 } });

  it("past the partition cap ListOffsets, Fetch and Produce answer INVALID_REQUEST and store nothing", async () => {
    // Prepare
    const topic = kafkaTopic("cap");
    await agent().runtime.log.topics.create(topic, 3);
    const client = await WireClient.open(agent().broker);
    // Act
    client.send(
      0,
      9,
      1,
      produce(
        topic,
        [0, 1, 2].map((index) => ({ index, records: batch(`p${index}`) })),
      ),
    );
    const produced = partitionsOf((await client.response(0, 9))!.body, "responses", "partitionResponses");
    client.send(2, 7, 2, {
      replicaId: -1,
      isolationLevel: 0,
      topics: [
        { name: topic, partitions: [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp: -1 })) },
      ],
    });
    const listed = partitionsOf((await client.response(2, 7))!.body, "topics", "partitions");
    client.send(
      1,
      12,
      3,
      fetchRequest(
        topic,
        [0, 1, 2].map((partition) => ({ partition, fetchOffset: 0, partitionMaxBytes: 1 << 20 })),
      ),
    );
    const fetched = partitionsOf((await client.response(1, 12))!.body, "responses", "partitions");
    client.close();
    // Assess
    expect(produced.map((p) => p.errorCode)).toEqual([0, 0, KAFKA.INVALID_REQUEST]);
    expect(produced[2]!.errorMessage).toMatch(/at most 2 topic-partitions/);
    expect(listed.map((p) => [p.errorCode, p.offset])).toEqual([
      [0, 1],
      [0, 1],
      [KAFKA.INVALID_REQUEST, -1],
    ]);
    expect(fetched.map((p) => p.errorCode)).toEqual([0, 0, KAFKA.INVALID_REQUEST]);
    expect((await agent().runtime.log.tail(topic, 2)).highWatermark).toBe(0);
  });

  it("Produce answers the partition's log start offset, not -1", async () => {
    const topic = kafkaTopic("lso");
    await agent().runtime.log.topics.create(topic, 1);
    const client = await WireClient.open(agent().broker);
    // v12 (Kafka 4.0's newest without topic ids) is v11's grammar
    client.send(0, 12, 1, produce(topic, [{ index: 0, records: batch("a") }]));
    const [answer] = partitionsOf((await client.response(0, 12))!.body, "responses", "partitionResponses");
    client.close();
    expect(answer).toMatchObject({ errorCode: 0, baseOffset: 0, logStartOffset: 0 });
  });

  it("Fetch keeps to max_bytes and partition_max_bytes; only the first partition with data may exceed them, by one batch", async () => {
    // Prepare: three partitions holding one ~1 KiB batch each; partition 0 holds two
    const topic = kafkaTopic("fmb");
    await agent().runtime.log.topics.create(topic, 3);
    const big = (tag: string) => batch(tag.repeat(1_000));
    const client = await WireClient.open(agent().broker);
    client.send(
      0,
      9,
      1,
      produce(topic, [
        { index: 0, records: big("a") },
        { index: 1, records: big("b") },
      ]),
    );
    await client.response(0, 9);
    client.send(0, 9, 2, produce(topic, [{ index: 0, records: big("c") }]));
    await client.response(0, 9);
    client.send(0, 9, 3, produce(topic, [{ index: 2, records: big("d") }]));
    await client.response(0, 9);
    const sizes = async (request: Message) => {
      client.send(1, 12, 9, request);
      return partitionsOf((await client.response(1, 12))!.body, "responses", "partitions").map(
        (p) => (p.records as Uint8Array).byteLength,
      );
    };
    const one = big("a").byteLength;
    // Act / Assess: the response budget (1.5 batches) holds partition 0's first batch only
    // (max_bytes covers 2 partitions of the cap)
    expect(
      await sizes(
        fetchRequest(
          topic,
          [0, 1].map((partition) => ({ partition, fetchOffset: 0, partitionMaxBytes: 1 << 20 })),
          Math.floor(one * 1.5),
        ),
      ),
    ).toEqual([one, 0]);
    // partition 1 is first with data: its batch comes although larger than its limit; partition 2's does not
    expect(
      await sizes(
        fetchRequest(topic, [
          { partition: 1, fetchOffset: 0, partitionMaxBytes: 10 },
          { partition: 2, fetchOffset: 0, partitionMaxBytes: 10 },
        ]),
      ),
    ).toEqual([one, 0]);
    client.close();
  });

  it("a failed acks=0 produce closes the connection; a successful one does not", async () => {
    const topic = kafkaTopic("ack0");
    await agent().runtime.log.topics.create(topic, 1);
    const ok = await WireClient.open(agent().broker);
    ok.send(0, 7, 1, produce(topic, [{ index: 0, records: batch("fine") }], 0));
    ok.send(18, 3, 2, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
    expect((await ok.response(18, 3))?.correlationId).toBe(2);
    ok.close();
    const bad = await WireClient.open(agent().broker);
    bad.send(0, 7, 1, produce("no-such-topic", [{ index: 0, records: batch("lost") }], 0));
    expect(await bad.closedByServer()).toBe(true);
  });

  it("InitProducerId hands out a new producer id at epoch 0 whatever id and epoch the client names", async () => {
    const client = await WireClient.open(agent().broker);
    const init = async (producerId: number, producerEpoch: number) => {
      client.send(22, 4, 1, {
        transactionalId: null,
        transactionTimeoutMs: 60_000,
        producerId,
        producerEpoch,
      });
      return (await client.response(22, 4))!.body;
    };
    const fresh = await init(-1, -1);
    const bumped = await init(fresh.producerId as number, 0);
    const exhausted = await init(fresh.producerId as number, 32_767);
    const foreign = await init(123_456, 7);
    client.close();
    expect(fresh).toMatchObject({ errorCode: 0, producerEpoch: 0 });
    for (const answer of [bumped, exhausted, foreign]) {
      expect(answer).toMatchObject({ errorCode: 0, producerEpoch: 0 });
      expect(answer.producerId).not.toBe(fresh.producerId);
    }
    expect(foreign.producerId).not.toBe(123_456);
  });
});

describe("a cached head never answers OFFSET_OUT_OF_RANGE", () => {
  it("a fetch above the cached high watermark re-reads the head (FLOE_HEAD_CACHE_MS=5000)", async () => {
    // Prepare: agent A caches the head at 0; agent B (same stores) appends a record
    const a = await startKafkaAgent({ env: { FLOE_HEAD_CACHE_MS: "5000" } });
    const b = await startKafkaAgent({ shareWith: a });
    try {
      const topic = kafkaTopic("stale");
      await a.runtime.log.topics.create(topic, 1);
      const onA = await WireClient.open(a.broker);
      onA.send(1, 12, 1, fetchRequest(topic, [{ partition: 0, fetchOffset: 0, partitionMaxBytes: 1 << 20 }]));
      expect(partitionsOf((await onA.response(1, 12))!.body, "responses", "partitions")[0]).toMatchObject({
        errorCode: 0,
        highWatermark: 0,
      });
      const onB = await WireClient.open(b.broker);
      onB.send(0, 9, 1, produce(topic, [{ index: 0, records: batch("x") }]));
      await onB.response(0, 9);
      onB.close();
      // Act: a consumer that read offset 0 elsewhere asks A for offset 1
      onA.send(1, 12, 2, fetchRequest(topic, [{ partition: 0, fetchOffset: 1, partitionMaxBytes: 1 << 20 }]));
      const [answer] = partitionsOf((await onA.response(1, 12))!.body, "responses", "partitions");
      onA.close();
      // Assess
      expect(answer).toMatchObject({ errorCode: 0, highWatermark: 1 });
    } finally {
      await b.stop();
      await a.stop();
    }
  }, 60_000);
});
