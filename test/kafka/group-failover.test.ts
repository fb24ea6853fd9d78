/**
 * A kafkajs consumer group of three members across two agents; the agent coordinating the group
 * is stopped mid-run while records keep being produced. Every partition keeps being consumed and
 * no acknowledged record is skipped (at least once: a record may be seen twice across a rebalance).
 */
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { type KafkaTestAgent, kafkaTopic, startKafkaAgent } from "./harness.js";
import { WireClient } from "./wire.js";

const PARTITIONS = 6;

/** The agent FindCoordinator names for `group`, asked of `via`. */
async function coordinatorPort(via: KafkaTestAgent, group: string): Promise<number> {
  const client = await WireClient.open(via.broker);
  client.send(10, 2, 1, { key: group, keyType: 0 });
  const answer = (await client.response(10, 2))!.body;
  client.close();
  return answer.port as number;
}

async function produceHttp(agent: KafkaTestAgent, topic: string, partition: number, value: string) {
  const res = await fetch(`${agent.url}/v1/topics/${topic}/partitions/${partition}/records`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ records: [{ value }] }),
  });
  return res.ok;
}

describe("kafkajs consumer group across two agents", () => {
  it("three members keep consuming every partition when the coordinating agent stops; nothing acknowledged is skipped", async () => {
    // Prepare: agents a (owns the stand-ins) and b; a group id b coordinates
    const a = await startKafkaAgent();
    const b = await startKafkaAgent({ shareWith: a });
    const consumers: ReturnType<Kafka["consumer"]>[] = [];
    try {
      const topic = kafkaTopic("gfo");
      await a.runtime.log.topics.create(topic, PARTITIONS);
      const bPort = Number(b.broker.split(":")[1]);
      // a learns of b at its next directory refresh (waited for, not timed)
      for (;;) {
        const client = await WireClient.open(a.broker);
        client.send(3, 12, 1, {
          topics: [],
          allowAutoTopicCreation: false,
          includeTopicAuthorizedOperations: false,
        });
        const brokers = (await client.response(3, 12))!.body.brokers as unknown[];
        client.close();
        if (brokers.length === 2) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      let group = "";
      for (let i = 0; i < 50 && !group; i++) {
        const candidate = `${topic}-g${i}`;
        if ((await coordinatorPort(a, candidate)) === bPort) group = candidate;
      }
      expect(group, "some group id is coordinated by agent b").not.toBe("");
      const acknowledged = new Set<string>();
      const consumed = new Set<string>();
      const partitionsSeen = new Set<number>();
      let waiters: (() => void)[] = [];
      const wake = () => {
        for (const w of waiters.splice(0)) w();
      };
      const until = async (condition: () => boolean) => {
        while (!condition()) await new Promise<void>((r) => waiters.push(r));
      };
      let n = 0;
      const produceRound = async (round: string) => {
        for (let p = 0; p < PARTITIONS; p++) {
          const value = `${round}-${p}-${n++}`;
          if (await produceHttp(a, topic, p, value)) acknowledged.add(value);
        }
      };
      await produceRound("before");
      const kafka = new Kafka({
        clientId: "gfo",
        brokers: [a.broker, b.broker],
        logLevel: logLevel.NOTHING,
        retry: { initialRetryTime: 50, maxRetryTime: 500, retries: 50 },
      });
      for (let m = 0; m < 3; m++) {
        const consumer = kafka.consumer({
          groupId: group,
          sessionTimeout: 6_000,
          rebalanceTimeout: 6_000,
          heartbeatInterval: 300,
          maxWaitTimeInMs: 100,
          retry: { initialRetryTime: 50, maxRetryTime: 500, retries: 50 },
        });
        consumers.push(consumer);
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ partition, message }) => {
            consumed.add(String(message.value));
            partitionsSeen.add(partition);
            wake();
          },
        });
      }
      await until(() => [...acknowledged].every((v) => consumed.has(v)));
      // Act: stop the coordinating agent; keep producing through the other
      await b.stop();
      await produceRound("after-1");
      await produceRound("after-2");
      // Assess: everything acknowledged is consumed, on every partition
      const poke = setInterval(wake, 200); // re-checks while kafkajs rebalances (no verdict on time)
      try {
        await until(() => [...acknowledged].every((v) => consumed.has(v)));
      } finally {
        clearInterval(poke);
      }
      expect(partitionsSeen.size).toBe(PARTITIONS);
      expect([...acknowledged].filter((v) => !consumed.has(v))).toEqual([]);
      expect(acknowledged.size).toBe(3 * PARTITIONS);
      waiters = [];
    } finally {
      for (const c of consumers) await c.disconnect().catch(() => {});
      await b.stop().catch(() => {});
      await a.stop();
    }
  }, 120_000);
});
