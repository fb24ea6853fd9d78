/**
 * A third independent implementation, @platformatic/kafka (pure TypeScript, written for Kafka
 * 3.5+): admin create, produce, and a group consumer reading from the earliest offset, with the
 * records then read through HTTP at the same offsets.
 */
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from "@platformatic/kafka";
import { describe, expect, it } from "vitest";
import { kafkaTopic, useKafkaAgent } from "./harness.js";

// @platformatic/kafka targets Node 22 (Promise.withResolvers); the project supports Node 20.16+,
// so the test supplies that one standard function when the runtime lacks it.
const promiseStatics = Promise as unknown as { withResolvers?: () => unknown };
promiseStatics.withResolvers ??= () => {
  let resolve!: (value: unknown) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

describe("@platformatic/kafka", () => {
  const agent = useKafkaAgent();

  it("creates a topic, produces, consumes from the earliest offset in a group", async () => {
    // Prepare
    const topic = kafkaTopic("plt");
    const admin = new Admin({ clientId: "plt-admin", bootstrapBrokers: [agent().broker] });
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
    await admin.close();
    const producer = new Producer({
      clientId: "plt-producer",
      bootstrapBrokers: [agent().broker],
      serializers: stringSerializers,
    });
    // Act
    await producer.send({
      messages: ["p0", "p1", "p2"].map((value) => ({ topic, key: `k-${value}`, value, partition: 0 })),
    });
    await producer.close();
    const consumer = new Consumer({
      groupId: kafkaTopic("plt-group"),
      clientId: "plt-consumer",
      bootstrapBrokers: [agent().broker],
      deserializers: stringDeserializers,
    });
    const stream = await consumer.consume({ topics: [topic], mode: "earliest", autocommit: false });
    const seen: string[] = [];
    for await (const message of stream) {
      seen.push(`${message.offset} ${message.value}`);
      if (seen.length === 3) break;
    }
    await stream.close();
    await consumer.close(true);
    const http = (await (
      await fetch(`${agent().url}/v1/topics/${topic}/partitions/0/records?offset=0`)
    ).json()) as { records: { offset: number; value: string }[] };
    // Assess
    expect(seen).toEqual(["0 p0", "1 p1", "2 p2"]);
    expect(http.records.map((r) => `${r.offset} ${r.value}`)).toEqual(seen);
  });
});
