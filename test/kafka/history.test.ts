/**
 * The history checker (test/support/history.ts) over the Kafka path: a kafkajs idempotent producer
 * writes through two agents sharing one bucket and table, with a seeded share of Produce responses
 * lost (the proxy kills the connection after the agent wrote: kafkajs reconnects and resends the
 * same sequence). Then everything is consumed through kafkajs. Every acknowledged record must
 * appear exactly once, at the offset it was acknowledged with, offsets dense and in order.
 */
import { Kafka, logLevel } from "kafkajs";
import { describe, expect, it } from "vitest";
import { type AppendOp, checkHistory, type FinalRead, formatReport } from "../support/history.js";
import { type KafkaFaultProxy, startKafkaFaultProxy } from "../support/kafka-fault-proxy.js";
import { type KafkaTestAgent, kafkaTopic, startKafkaAgent } from "./harness.js";

const SEED = Number(process.env.FLOE_SEED ?? 20261201);
const PARTITIONS = 4;
const WORKERS = 4;
const SENDS_PER_WORKER = 30;

async function agentBehind(proxy: KafkaFaultProxy, shareWith?: KafkaTestAgent): Promise<KafkaTestAgent> {
  const agent = await startKafkaAgent({
    advertised: { host: "127.0.0.1", port: proxy.port },
    ...(shareWith ? { shareWith } : {}),
  });
  proxy.targetPort = agent.kafka.port;
  return agent;
}

describe("history check over the Kafka path", () => {
  it(`kafkajs idempotent producer, two agents, lost produce responses: zero anomalies (seed ${SEED})`, async () => {
    // Prepare: two agents, each behind a proxy that loses 15% of Produce responses
    const proxies = [await startKafkaFaultProxy(SEED, 0.15), await startKafkaFaultProxy(SEED + 1, 0.15)];
    const a = await agentBehind(proxies[0]!);
    const b = await agentBehind(proxies[1]!, a);
    const topic = kafkaTopic("hist");
    try {
      await a.runtime.log.topics.create(topic, PARTITIONS);
      const kafka = new Kafka({
        clientId: "history",
        brokers: [`127.0.0.1:${proxies[0]!.port}`, `127.0.0.1:${proxies[1]!.port}`],
        logLevel: logLevel.NOTHING,
        retry: { initialRetryTime: 20, maxRetryTime: 200, retries: 30 },
      });
      // Act: concurrent producers, each sending one or two records to one partition at a time.
      // One producer per worker: kafkajs reads a partition's next sequence when it builds a
      // request and advances it on the response, so two concurrent send() calls of one producer
      // to one partition carry the same sequence (a real Kafka broker then also takes the second
      // for a duplicate of the first): that would be testing kafkajs, not the listener.
      const history: AppendOp[] = [];
      let opId = 0;
      const worker = async (w: number) => {
        const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5 });
        await producer.connect();
        for (let i = 0; i < SENDS_PER_WORKER; i++) {
          const partition = (w + i) % PARTITIONS;
          const values = Array.from({ length: 1 + (i % 2) }, (_, k) => `w${w}-${i}-${k}`);
          const op: AppendOp = {
            kind: "append",
            client: `w${w}`,
            opId: opId++,
            partition: String(partition),
            values,
            invokedAt: Date.now(),
            completedAt: 0,
            outcome: "unknown",
            idempotent: true,
          };
          history.push(op);
          try {
            const [meta] = await producer.send({
              topic,
              acks: -1,
              messages: values.map((value) => ({ value, partition })),
            });
            const base = Number(meta!.baseOffset);
            op.outcome = "ok";
            op.offsets = values.map((_, k) => base + k);
          } catch (error) {
            op.outcome = "unknown";
            op.error = String((error as Error).message);
          }
          op.completedAt = Date.now();
        }
        await producer.disconnect();
      };
      await Promise.all(Array.from({ length: WORKERS }, (_, w) => worker(w)));
      // The final read: no faults, through a kafkajs consumer
      for (const p of proxies) p.enabled = false;
      const admin = kafka.admin();
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.disconnect();
      const high = new Map(ends.map((e) => [e.partition, Number(e.high)]));
      const seen = new Map<number, Map<number, string>>(
        Array.from({ length: PARTITIONS }, (_, p) => [p, new Map<number, string>()]),
      );
      const consumer = kafka.consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 100 });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      let done: () => void = () => {};
      const complete = new Promise<void>((r) => (done = r));
      const allRead = () => [...seen].every(([p, m]) => m.size >= (high.get(p) ?? 0));
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          // A redelivered offset is the consumer's at-least-once, not the log's: keyed by offset.
          seen.get(partition)!.set(Number(message.offset), String(message.value));
          if (allRead()) done();
        },
      });
      if (!allRead()) await complete;
      await consumer.disconnect();
      const finals: FinalRead[] = [...seen].map(([p, m]) => ({
        partition: String(p),
        logStartOffset: 0,
        highWatermark: high.get(p) ?? 0,
        records: [...m].sort((x, y) => x[0] - y[0]).map(([offset, value]) => ({ offset, value })),
      }));
      // Assess
      const report = checkHistory(history, finals);
      const dropped = proxies.reduce((n, p) => n + p.stats.dropped, 0);
      expect(dropped, "the proxies lost some produce responses").toBeGreaterThan(0);
      expect(report.counts.acknowledged).toBeGreaterThan(0);
      expect(report.anomalies, formatReport(report)).toEqual([]);
      // Dense: every partition's offsets are exactly 0..high-1, and every value once
      for (const f of finals)
        expect(f.records.map((r) => r.offset)).toEqual([...Array(f.highWatermark).keys()]);
      const values = finals.flatMap((f) => f.records.map((r) => r.value));
      expect(new Set(values).size).toBe(values.length);
    } finally {
      await b.stop();
      await a.stop();
      for (const p of proxies) await p.close();
    }
  }, 180_000);
});
