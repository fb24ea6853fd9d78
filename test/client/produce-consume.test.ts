/** Producer and consumer against a real agent on the S3/DynamoDB stand-ins. */
import { describe, expect, it } from "vitest";
import { FloeClient, FloeError, partitionForKey, text } from "../../client/src/index.js";
import type { ConsumerRecord } from "../../client/src/sdk/records.js";
import { topicName, useAgent } from "./agent.js";
import { faultPlan, faultyFetch } from "./faulty-fetch.js";

const encoder = new TextEncoder();

async function readAll(
  client: FloeClient,
  topic: string,
  options: Parameters<FloeClient["consumer"]>[0] = { topics: topic },
) {
  const records: ConsumerRecord[] = [];
  for await (const r of client.consumer({ from: "earliest", follow: false, ...options, topics: topic }))
    records.push(r);
  return records;
}

function byKey(records: ConsumerRecord[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const r of records) {
    const k = text(r.key) ?? "";
    out.set(k, [...(out.get(k) ?? []), text(r.value) ?? ""]);
  }
  return out;
}

describe("producer and consumer on a real agent", () => {
  const agent = useAgent();

  for (const transport of ["binary", "json"] as const) {
    it(`round-trips records by key over the ${transport} transport, each key on Kafka's partition`, async () => {
      // Prepare
      const client = new FloeClient({ url: agent().url });
      const topic = topicName();
      await client.admin.createTopic(topic, { partitions: 4 });
      const producer = client.producer({ transport, lingerMs: 2 });
      const sent = Array.from({ length: 300 }, (_, i) => ({ key: `user-${i % 17}`, value: `event-${i}` }));
      // Act
      const metas = await producer.sendBatch(topic, sent);
      await producer.close();
      const records = await readAll(client, topic, { topics: topic, transport });
      // Assess
      for (const [i, m] of metas.entries())
        expect(m.partition).toBe(partitionForKey(encoder.encode(sent[i]!.key), 4));
      const expected = new Map<string, string[]>();
      for (const s of sent) expected.set(s.key, [...(expected.get(s.key) ?? []), s.value]);
      expect(byKey(records)).toEqual(expected);
      for (const r of records) {
        const i = Number(text(r.value)!.slice("event-".length));
        expect({ partition: r.partition, offset: r.offset }).toEqual({
          partition: metas[i]!.partition,
          offset: metas[i]!.offset,
        });
      }
    });
  }

  it("keeps bytes, nulls and headers exact over both transports", async () => {
    // Prepare
    const client = new FloeClient({ url: agent().url });
    const topic = topicName();
    await client.admin.createTopic(topic, { partitions: 1 });
    const binaryValue = new Uint8Array([0, 255, 128, 10, 13]);
    // Act
    const producer = client.producer({ transport: "json" });
    await producer.send(topic, {
      key: null,
      value: binaryValue,
      headers: [{ key: "h", value: new Uint8Array([1, 2]) }],
      timestamp: 1234,
    });
    await producer.send(topic, { key: "tomb", value: null });
    await producer.close();
    const viaBinary = await readAll(client, topic, { topics: topic, transport: "binary" });
    const viaJson = await readAll(client, topic, { topics: topic, transport: "json" });
    // Assess
    for (const records of [viaBinary, viaJson]) {
      expect(records).toHaveLength(2);
      expect(records[0]!.key).toBeNull();
      expect([...records[0]!.value!]).toEqual([...binaryValue]);
      expect(records[0]!.timestamp).toBe(1234);
      expect(records[0]!.headers.map((h) => [h.key, [...h.value!]])).toEqual([["h", [1, 2]]]);
      expect(text(records[1]!.key)).toBe("tomb");
      expect(records[1]!.value).toBeNull();
    }
  });

  it("follows the log over SSE and long-poll, seeing records produced after it started", async () => {
    // Prepare
    const client = new FloeClient({ url: agent().url });
    const topic = topicName();
    await client.admin.createTopic(topic, { partitions: 2 });
    for (const transport of ["sse", "binary"] as const) {
      const consumer = client.consumer({ topics: topic, from: "latest", transport, waitSeconds: 2 });
      const got: string[] = [];
      const reading = (async () => {
        for await (const r of consumer) {
          got.push(text(r.value)!);
          if (got.length === 6) break;
        }
      })();
      await new Promise((r) => setTimeout(r, 300)); // let it reach the end of the log first
      // Act
      const producer = client.producer();
      await producer.sendBatch(
        topic,
        ["a", "b", "c", "d", "e", "f"].map((v) => ({ key: v, value: `${transport}-${v}` })),
      );
      await producer.close();
      await reading;
      // Assess
      expect(got.sort()).toEqual(["a", "b", "c", "d", "e", "f"].map((v) => `${transport}-${v}`));
    }
  });

  it("starts at an offset, a timestamp, or the last N records", async () => {
    // Prepare
    const client = new FloeClient({ url: agent().url });
    const topic = topicName();
    await client.admin.createTopic(topic, { partitions: 1 });
    const producer = client.producer();
    await producer.sendBatch(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ value: `v${i}`, timestamp: 1_000 + i * 10 })),
    );
    await producer.close();
    const values = (rs: ConsumerRecord[]) => rs.map((r) => text(r.value));
    // Act
    const fromOffset = await readAll(client, topic, { topics: topic, from: { offset: 7 } });
    const fromTime = await readAll(client, topic, { topics: topic, from: { timestamp: 1_045 } });
    const lastThree = await readAll(client, topic, { topics: topic, from: { tail: 3 } });
    const latest = await readAll(client, topic, { topics: topic, from: "latest" });
    // Assess
    expect(values(fromOffset)).toEqual(["v7", "v8", "v9"]);
    expect(values(fromTime)).toEqual(["v5", "v6", "v7", "v8", "v9"]);
    expect(values(lastThree)).toEqual(["v7", "v8", "v9"]);
    expect(latest).toEqual([]);
  });

  it("seeks and pauses", async () => {
    // Prepare
    const client = new FloeClient({ url: agent().url });
    const topic = topicName();
    await client.admin.createTopic(topic, { partitions: 2 });
    const producer = client.producer();
    for (let i = 0; i < 5; i++) {
      await producer.send(topic, { value: `p0-${i}`, partition: 0 });
      await producer.send(topic, { value: `p1-${i}`, partition: 1 });
    }
    await producer.close();
    const consumer = client.consumer({ topics: topic, from: "earliest", follow: false });
    // Act: pause partition 1 until partition 0 is done; after p0-2, jump back to p0-0 once.
    consumer.pause([{ topic, partition: 1 }]);
    const got: string[] = [];
    let seeked = false;
    for await (const r of consumer) {
      got.push(text(r.value)!);
      if (text(r.value) === "p0-2" && !seeked) {
        seeked = true;
        consumer.seek({ topic, partition: 0, offset: 0 });
      }
      if (text(r.value) === "p0-4") consumer.resume([{ topic, partition: 1 }]);
    }
    // Assess
    expect(got).toEqual([
      "p0-0",
      "p0-1",
      "p0-2",
      "p0-0",
      "p0-1",
      "p0-2",
      "p0-3",
      "p0-4",
      "p1-0",
      "p1-1",
      "p1-2",
      "p1-3",
      "p1-4",
    ]);
  });

  for (const transport of ["binary", "json"] as const) {
    it(`idempotent retries after lost responses write every record exactly once (${transport})`, async () => {
      // Prepare: 30 % of produce responses are lost after the agent wrote the batch; 10 % refused before.
      const seed = transport === "binary" ? 20_240_601 : 424_242;
      const rates = { loseResponse: 0.3, refuse: 0.1, maxDelayMs: 3 };
      const { fetch: lossy, stats } = faultyFetch(
        seed,
        rates,
        (url, init) => init.method === "POST" && url.includes("/records"),
      );
      const client = new FloeClient({ url: agent().url, fetch: lossy });
      const topic = topicName();
      await client.admin.createTopic(topic, { partitions: 3 });
      const batchRecordsMax = 20;
      const producer = client.producer({
        transport,
        lingerMs: 1,
        batchRecordsMax,
        retryBackoff: { initialMs: 5, maxMs: 20 },
      });
      const sent = Array.from({ length: transport === "binary" ? 600 : 300 }, (_, i) => ({
        key: `k${i % 11}`,
        value: `v${i}`,
      }));
      // Every batch is sent at least once, and the seed fixes the fates of the first calls whatever
      // the timing: the responses lost among them are a floor that holds on a loaded machine too.
      const perPartition = [0, 0, 0];
      for (const s of sent) perPartition[partitionForKey(encoder.encode(s.key), 3)]!++;
      const fewestCalls = perPartition.reduce((n, c) => n + Math.ceil(c / batchRecordsMax), 0);
      const surelyLost = faultPlan(seed, rates, fewestCalls).filter((f) => f.loseResponse).length;
      // Act
      const metas = await producer.sendBatch(topic, sent);
      await producer.close();
      const records = await readAll(new FloeClient({ url: agent().url }), topic);
      // Assess (seed ${seed}): faults happened, no value twice, every ack points at its value, per-key order kept.
      expect(surelyLost).toBeGreaterThan(5); // the seed injects enough faults to matter
      expect(stats.lostResponses).toBeGreaterThanOrEqual(surelyLost);
      const values = records.map((r) => text(r.value));
      expect(new Set(values).size).toBe(values.length);
      expect(values.sort()).toEqual(sent.map((s) => s.value).sort());
      const at = new Map(records.map((r) => [`${r.partition}:${r.offset}`, text(r.value)]));
      for (const [i, m] of metas.entries()) expect(at.get(`${m.partition}:${m.offset}`)).toBe(sent[i]!.value);
      const perKey = byKey(records);
      for (const [key, list] of perKey) {
        expect(list).toEqual(sent.filter((s) => s.key === key).map((s) => s.value));
      }
    });
  }

  it("without idempotence a lost response is reported, never retried into a duplicate", async () => {
    // Prepare
    const { fetch: lossy, stats } = faultyFetch(
      7,
      { loseResponse: 0.5 },
      (url, init) => init.method === "POST" && url.includes("/records"),
    );
    const client = new FloeClient({ url: agent().url, fetch: lossy });
    const topic = topicName();
    await client.admin.createTopic(topic, { partitions: 1 });
    const producer = client.producer({ idempotent: false, lingerMs: 0, batchRecordsMax: 1 });
    // Act
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => producer.send(topic, { value: `v${i}` })),
    );
    await producer.close().catch(() => {});
    const records = await readAll(new FloeClient({ url: agent().url }), topic);
    // Assess: every request was forwarded once; lost ones failed as `unavailable`; all 40 are stored once.
    const failed = outcomes.filter((o) => o.status === "rejected");
    expect(failed.length).toBe(stats.lostResponses);
    expect(failed.length).toBeGreaterThan(0);
    for (const f of failed) expect((f.reason as FloeError).code).toBe("unavailable");
    expect(stats.forwarded).toBe(40);
    expect(records.map((r) => text(r.value)).sort()).toEqual(
      Array.from({ length: 40 }, (_, i) => `v${i}`).sort(),
    );
  });

  it("applies backpressure: submit waits while the buffer is full", async () => {
    // Prepare
    const client = new FloeClient({ url: agent().url });
    const topic = topicName();
    await client.admin.createTopic(topic, { partitions: 2 });
    const limit = 16 * 1024;
    const producer = client.producer({ bufferBytesMax: limit, batchBytesMax: 4096, lingerMs: 50 });
    let peak = 0;
    // Act
    const acks = [];
    for (let i = 0; i < 400; i++) {
      const ticket = await producer.submit(topic, { value: "x".repeat(200) });
      peak = Math.max(peak, producer.bufferedBytesNow);
      acks.push(ticket.ack());
    }
    await Promise.all(acks);
    await producer.close();
    // Assess
    expect(peak).toBeLessThanOrEqual(limit);
    expect(peak).toBeGreaterThan(limit / 2);
    expect((await readAll(client, topic)).length).toBe(400);
  });

  it("reports server errors as typed FloeErrors", async () => {
    // Prepare
    const client = new FloeClient({ url: agent().url });
    // Act
    const missing = await client.admin.describeTopic("no-such-topic").catch((e: unknown) => e);
    const producer = client.producer();
    const produceMissing = await producer.send("no-such-topic", { value: "x" }).catch((e: unknown) => e);
    const topic = topicName();
    await client.admin.createTopic(topic);
    const exists = await client.admin.createTopic(topic).catch((e: unknown) => e);
    // Assess
    expect(missing).toBeInstanceOf(FloeError);
    expect((missing as FloeError).code).toBe("topic_not_found");
    expect((produceMissing as FloeError).code).toBe("topic_not_found");
    expect((exists as FloeError).code).toBe("topic_exists");
    expect((exists as FloeError).status).toBe(409);
  });

  for (const transport of ["binary", "json"] as const) {
    it(`appends conditionally on the next offset (${transport})`, async () => {
      // Prepare
      const client = new FloeClient({ url: agent().url });
      const topic = topicName();
      await client.admin.createTopic(topic);
      // Act
      const first = await client.append(topic, 0, [{ value: "a" }, { value: "b" }], {
        matchOffset: 0,
        transport,
      });
      const stale = await client
        .append(topic, 0, [{ value: "c" }], { matchOffset: 0, transport })
        .catch((e: unknown) => e);
      const second = await client.append(topic, 0, [{ value: "c" }], { matchOffset: 2, transport });
      // Assess
      expect(first).toEqual({ baseOffset: 0, lastOffset: 1 });
      expect(stale).toBeInstanceOf(FloeError);
      expect(stale).toMatchObject({ code: "offset_mismatch", status: 412, details: { expected_offset: 2 } });
      expect(second).toEqual({ baseOffset: 2, lastOffset: 2 });
      expect((await readAll(client, topic)).map((r) => text(r.value))).toEqual(["a", "b", "c"]);
    });
  }
});
