/**
 * Protocol details no client test pins down: ListOffsets' special timestamps, a Fetch long-poll
 * woken by a produce through HTTP, out-of-range fetches, DescribeCluster, and producer ids that
 * stay unique when many are drawn at once.
 */
import { describe, expect, it } from "vitest";
import { encodeRecordBatch } from "../../client/src/format/index.js";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import type { Message } from "../../functions/src/kafka/codec/codec.js";
import { KAFKA } from "../../functions/src/kafka/errors.js";
import { ManifestProducerIds } from "../../functions/src/kafka/producer-ids.js";
import { kafkaTopic, useKafkaAgent } from "./harness.js";
import { WireClient } from "./wire.js";

function batch(value: string, timestamp: number): Uint8Array {
  return encodeRecordBatch({
    records: [{ key: null, value: new TextEncoder().encode(value), headers: [], timestamp }],
  });
}

function produce(topic: string, records: Uint8Array): Message {
  return {
    transactionalId: null,
    acks: -1,
    timeoutMs: 5_000,
    topicData: [{ name: topic, partitionData: [{ index: 0, records }] }],
  };
}

function fetchRequest(topic: string, offset: number, maxWaitMs: number): Message {
  return {
    replicaId: -1,
    maxWaitMs,
    minBytes: 1,
    maxBytes: 1 << 20,
    isolationLevel: 1,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [],
    rackId: "",
  };
}

const first = (m: Message, list: string, inner: string): Message =>
  ((m[list] as Message[])[0]![inner] as Message[])[0]!;

describe("Kafka protocol details", () => {
  const agent = useKafkaAgent();

  it("ListOffsets: earliest, latest, max timestamp and by timestamp", async () => {
    // Prepare: timestamps out of order, so the largest is not the last
    const topic = kafkaTopic("lo");
    await agent().runtime.log.topics.create(topic, 1);
    const client = await WireClient.open(agent().broker);
    for (const [i, ts] of [1_000, 5_000, 3_000].entries()) {
      client.send(0, 7, i, produce(topic, batch(`r${i}`, ts)));
      await client.response(0, 7);
    }
    // Act
    const ask = async (timestamp: number) => {
      client.send(2, 7, 9, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp }] }],
      });
      return first((await client.response(2, 7))!.body, "topics", "partitions");
    };
    const answers = [await ask(-2), await ask(-1), await ask(-3), await ask(2_000), await ask(9_000)];
    client.close();
    // Assess
    expect(answers.map((a) => [a.errorCode, a.offset])).toEqual([
      [0, 0],
      [0, 3],
      [0, 1],
      [0, 1],
      [0, -1],
    ]);
    expect(answers[2]!.timestamp).toBe(5_000);
    expect(answers[3]!.timestamp).toBe(5_000);
  });

  it("ListOffsets v9: EARLIEST_LOCAL (-4) is the log start, LATEST_TIERED (-5) is -1 (no tiering)", async () => {
    const topic = kafkaTopic("lo9");
    await agent().runtime.log.topics.create(topic, 1);
    const client = await WireClient.open(agent().broker);
    client.send(0, 7, 1, produce(topic, batch("r", 1_000)));
    await client.response(0, 7);
    const ask = async (timestamp: number) => {
      client.send(2, 9, 2, {
        replicaId: -1,
        isolationLevel: 0,
        topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp }] }],
      });
      return first((await client.response(2, 9))!.body, "topics", "partitions");
    };
    const answers = [await ask(-4), await ask(-5), await ask(-6)];
    client.close();
    expect(answers.map((a) => [a.errorCode, a.offset])).toEqual([
      [0, 0],
      [0, -1],
      [KAFKA.INVALID_REQUEST, -1],
    ]);
  });

  it("a Fetch at the end long-polls until a record produced through HTTP arrives", async () => {
    const topic = kafkaTopic("lp");
    await agent().runtime.log.topics.create(topic, 1);
    const client = await WireClient.open(agent().broker);
    client.send(1, 11, 1, fetchRequest(topic, 0, 30_000));
    const answer = client.response(1, 11);
    const http = await fetch(`${agent().url}/v1/topics/${topic}/partitions/0/records`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ records: [{ value: "woke" }] }),
    });
    expect(http.status).toBe(200);
    const partition = first((await answer)!.body, "responses", "partitions");
    client.close();
    expect(partition.errorCode).toBe(0);
    expect(partition.highWatermark).toBe(1);
    expect((partition.records as Uint8Array).byteLength).toBeGreaterThan(61);
  });

  it("a Fetch past the end answers OFFSET_OUT_OF_RANGE with the partition's bounds", async () => {
    const topic = kafkaTopic("oor");
    await agent().runtime.log.topics.create(topic, 1);
    const client = await WireClient.open(agent().broker);
    client.send(1, 12, 1, fetchRequest(topic, 100, 0));
    const partition = first((await client.response(1, 12))!.body, "responses", "partitions");
    client.close();
    expect(partition).toMatchObject({
      errorCode: KAFKA.OFFSET_OUT_OF_RANGE,
      highWatermark: 0,
      logStartOffset: 0,
    });
  });

  it("DescribeCluster names this agent", async () => {
    const client = await WireClient.open(agent().broker);
    client.send(60, 1, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    const answer = (await client.response(60, 1))!.body;
    client.close();
    const [host, port] = agent().broker.split(":");
    expect(answer.errorCode).toBe(0);
    expect(answer.brokers).toEqual([expect.objectContaining({ host, port: Number(port) })]);
  });

  it("IncrementalAlterConfigs sets and deletes single keys; an unknown key is INVALID_CONFIG", async () => {
    const topic = kafkaTopic("iac");
    await agent().runtime.log.topics.create(topic, 1, { "retention.bytes": 1_000_000 });
    const client = await WireClient.open(agent().broker);
    const alter = async (configs: Message[]) => {
      client.send(44, 1, 1, {
        resources: [{ resourceType: 2, resourceName: topic, configs }],
        validateOnly: false,
      });
      return ((await client.response(44, 1))!.body.responses as Message[])[0]!.errorCode;
    };
    const set = await alter([{ name: "retention.ms", configOperation: 0, value: "60000" }]);
    const reset = await alter([{ name: "retention.bytes", configOperation: 1, value: null }]);
    const unknown = await alter([{ name: "no.such.config", configOperation: 0, value: "1" }]);
    client.close();
    const config = (await agent().runtime.log.topics.get(topic, true))!.config;
    expect([set, reset, unknown]).toEqual([0, 0, KAFKA.INVALID_CONFIG]);
    expect(config["retention.ms"]).toBe(60_000);
    expect(config["retention.bytes"]).toBe(-1);
  });

  it("producer ids drawn concurrently by several allocators are all different", async () => {
    const manifest = new MemoryManifestStore();
    const allocators = [0, 1, 2, 3].map(() => new ManifestProducerIds(manifest));
    const ids = await Promise.all([...Array(40).keys()].map((i) => allocators[i % 4]!.allocate()));
    expect(new Set(ids).size).toBe(40);
  });
});
