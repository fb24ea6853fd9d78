/**
 * kafkajs against a real agent: an idempotent producer with five requests in flight, a consumer
 * group, and the admin client's create / describe / delete.
 */
import { CompressionTypes, Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { kafkaTopic, useKafkaAgent } from "./harness.js";

describe("kafkajs", () => {
  const agent = useKafkaAgent();
  const client = () =>
    new Kafka({
      clientId: "floe-kafkajs-test",
      brokers: [agent().broker],
      logLevel: logLevel.NOTHING,
      retry: { retries: 3 },
    });

  it("admin: creates, describes, reconfigures, grows and deletes a topic", async () => {
    const admin = client().admin();
    await admin.connect();
    try {
      const topic = kafkaTopic("admin");
      expect(
        await admin.createTopics({
          topics: [{ topic, numPartitions: 2, configEntries: [{ name: "retention.ms", value: "3600000" }] }],
        }),
      ).toBe(true);
      const meta = await admin.fetchTopicMetadata({ topics: [topic] });
      expect(meta.topics[0]!.partitions).toHaveLength(2);
      const configs = await admin.describeConfigs({
        resources: [{ type: 2, name: topic, configNames: ["retention.ms"] }],
        includeSynonyms: false,
      });
      expect(configs.resources[0]!.configEntries).toEqual([
        expect.objectContaining({ configName: "retention.ms", configValue: "3600000" }),
      ]);
      await admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: 2, name: topic, configEntries: [{ name: "retention.ms", value: "7200000" }] }],
      });
      expect((await agent().runtime.log.topics.get(topic, true))!.config["retention.ms"]).toBe(7_200_000);
      await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] });
      expect((await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions).toHaveLength(4);
      await expect(admin.createTopics({ topics: [{ topic, numPartitions: 1 }] })).resolves.toBe(false);
      await admin.deleteTopics({ topics: [topic] });
      expect(await agent().runtime.log.topics.get(topic, true)).toBeUndefined();
    } finally {
      await admin.disconnect();
    }
  });

  it("an idempotent producer with 5 requests in flight writes every record once at dense offsets", async () => {
    // Prepare
    const topic = kafkaTopic("idem");
    await agent().runtime.log.topics.create(topic, 1);
    const producer = client().producer({ idempotent: true, maxInFlightRequests: 5 });
    await producer.connect();
    // Act
    try {
      const sends = [];
      for (let i = 0; i < 20; i++)
        sends.push(producer.send({ topic, messages: [{ key: `k${i}`, value: `v${i}`, partition: 0 }] }));
      const acks = await Promise.all(sends);
      // Assess: every send got its own offset, dense (concurrent send() calls may be sequenced
      // in any order; the sequence numbers kafkajs stamps decide, and the head checks them)
      expect(acks.map((a) => Number(a[0]!.baseOffset)).sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    } finally {
      await producer.disconnect();
    }
    const read = (await (
      await fetch(`${agent().url}/v1/topics/${topic}/partitions/0/records?offset=0&max_records=100`)
    ).json()) as { records: { offset: number; value: string }[] };
    expect(read.records.map((r) => r.offset)).toEqual([...Array(20).keys()]);
    expect(read.records.map((r) => r.value).sort()).toEqual([...Array(20).keys()].map((i) => `v${i}`).sort());
  });

  it("a gzip batch is stored as sent and decoded by the HTTP JSON API", async () => {
    const topic = kafkaTopic("gzip");
    await agent().runtime.log.topics.create(topic, 1);
    const producer = client().producer();
    await producer.connect();
    const values = ["g1", "g2", "g3"].map((v) => `${v}-${"y".repeat(500)}`);
    await producer.send({
      topic,
      compression: CompressionTypes.GZIP,
      messages: values.map((value) => ({ value, partition: 0 })),
    });
    await producer.disconnect();
    const stored = await agent().runtime.log.fetch(
      topic,
      0,
      { offset: 0 },
      { maxBytes: 1 << 20, maxRecords: 10, clamp: false },
    );
    expect(stored.batches.map((b) => b.header.compression)).toEqual(["gzip"]);
    const read = (await (
      await fetch(`${agent().url}/v1/topics/${topic}/partitions/0/records?offset=0`)
    ).json()) as { records: { offset: number; value: string }[] };
    expect(read.records.map((r) => [r.offset, r.value])).toEqual(values.map((v, i) => [i, v]));
  });

  it("a consumer group reads what was produced and commits its offsets", async () => {
    // Prepare
    const topic = kafkaTopic("cg");
    const groupId = kafkaTopic("group");
    await agent().runtime.log.topics.create(topic, 3);
    const producer = client().producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [...Array(9).keys()].map((i) => ({ value: `m${i}`, partition: i % 3 })),
    });
    await producer.disconnect();
    const consumer = client().consumer({ groupId, maxWaitTimeInMs: 200 });
    await consumer.connect();
    // Act
    await consumer.subscribe({ topic, fromBeginning: true });
    const seen: string[] = [];
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          seen.push(message.value!.toString());
          if (seen.length === 9) resolve();
        },
      });
    });
    await done;
    await consumer.stop();
    await consumer.disconnect();
    // Assess
    expect(seen.sort()).toEqual([...Array(9).keys()].map((i) => `m${i}`).sort());
    const admin = client().admin();
    await admin.connect();
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    await admin.disconnect();
    expect(offsets[0]!.partitions.map((p) => Number(p.offset)).sort()).toEqual([3, 3, 3]);
  });

  it("admin.deleteTopicRecords moves the log start: reads below it are out of range, offsets go on", async () => {
    // Prepare
    const topic = kafkaTopic("trim");
    await agent().runtime.log.topics.create(topic, 1);
    const producer = client().producer();
    const admin = client().admin();
    await Promise.all([producer.connect(), admin.connect()]);
    try {
      await producer.send({ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })) });
      await admin.fetchTopicMetadata({ topics: [topic] }); // kafkajs looks the leader up in its cache
      // Act
      await admin.deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: "4" }] });
      const offsets = await admin.fetchTopicOffsets(topic);
      const refused = await admin
        .deleteTopicRecords({ topic, partitions: [{ partition: 0, offset: "11" }] })
        .then(
          () => "accepted",
          (error: Error) => error.message,
        );
      await producer.send({ topic, messages: [{ value: "after" }] });
      const log = agent().runtime.log;
      // Assess
      expect(offsets[0]).toMatchObject({ partition: 0, low: "4", high: "10" });
      expect(refused).toMatch(/deleting records/); // past the high watermark: OFFSET_OUT_OF_RANGE
      await expect(
        log.fetch(topic, 0, { offset: 3 }, { maxBytes: 1 << 20, maxRecords: 10, clamp: false }),
      ).rejects.toMatchObject({ code: "offset_out_of_range" });
      const tail = await log.tail(topic, 0);
      expect(tail).toMatchObject({ logStartOffset: 4, highWatermark: 11 });
      const from4 = await log.fetch(
        topic,
        0,
        { offset: 4 },
        { maxBytes: 1 << 20, maxRecords: 10, clamp: false },
      );
      expect(from4.startOffset).toBe(4);
    } finally {
      await Promise.all([producer.disconnect(), admin.disconnect()]);
    }
  });
});
