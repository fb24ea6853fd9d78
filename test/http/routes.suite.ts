/**
 * The route suite: every route through the real app over a real engine. Called once per backend
 * (in-memory adapters, dynalite + s3rver) by routes.test.ts. Each test makes its own topic, so
 * they share one app per backend.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeRecordBatches, encodeRecordBatch, partitionForKey } from "../../client/src/format/index.js";
import { type Backend, buildHarness, createTopic, EventReader, type Harness } from "./harness.js";

const enc = new TextEncoder();

interface ProduceReply {
  results: ({ partition: number; offset: number; timestamp: number } | { error_code: string })[];
  failed_record_count: number;
}
interface PartitionReply {
  partition: number;
  base_offset: number;
  last_offset: number;
  timestamp: number;
}
interface JsonRecord {
  key: string | null;
  value: unknown;
  headers: { name: string; value: string | null }[];
  timestamp: number;
  offset: number;
}
interface FetchReply {
  records: JsonRecord[];
  next_offset: number;
  high_watermark: number;
  log_start_offset: number;
}

async function body<T>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export function routeSuite(getBackend: () => Backend): void {
  let h: Harness;
  const records = (topic: string, p = 0) => `/v1/topics/${topic}/partitions/${p}/records`;
  const fetchJson = async (path: string, headers: Record<string, string> = {}) => {
    const res = await h.request(path, { headers });
    expect(res.status, await res.clone().text()).toBe(200);
    return body<FetchReply>(res);
  };
  const appendJson = async (topic: string, payload: unknown, headers: Record<string, string> = {}, p = 0) =>
    h.json("POST", records(topic, p), payload, headers);

  beforeAll(async () => {
    h = await buildHarness({ backend: getBackend(), limits: { sseSessionMsMax: 10_000 }, ssePingMs: 100 });
  });
  afterAll(() => h.close());

  describe("produce and fetch", () => {
    it("round-trips keys, values, headers, nulls and timestamps in utf8", async () => {
      // Prepare
      const topic = await createTopic(h);
      const sent = [
        {
          key: "k1",
          value: "héllo ☃",
          headers: [
            { name: "trace", value: "abc" },
            { name: "empty", value: null },
          ],
          timestamp: 1_000,
        },
        { key: null, value: null },
        { value: "" },
      ];
      // Act
      const produced = await appendJson(topic, { records: sent });
      const fetched = await fetchJson(`${records(topic)}?offset=0`);
      // Assess
      expect(produced.status).toBe(200);
      expect(await body<PartitionReply>(produced)).toMatchObject({
        partition: 0,
        base_offset: 0,
        last_offset: 2,
      });
      expect(fetched.records.map((r) => [r.offset, r.key, r.value, r.headers])).toEqual([
        [0, "k1", "héllo ☃", sent[0]!.headers],
        [1, null, null, []],
        [2, null, "", []],
      ]);
      expect(fetched.records[0]!.timestamp).toBe(1_000);
      expect(Math.abs(fetched.records[1]!.timestamp - Date.now())).toBeLessThan(60_000);
      expect(fetched).toMatchObject({ next_offset: 3, high_watermark: 3, log_start_offset: 0 });
    });

    it("round-trips arbitrary bytes in base64 and refuses to show them as utf8", async () => {
      // Prepare
      const topic = await createTopic(h);
      const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x80]).toString("base64");
      const headers = { "floe-format": "base64" };
      // Act
      await appendJson(
        topic,
        { records: [{ key: bytes, value: bytes, headers: [{ name: "h", value: bytes }] }] },
        headers,
      );
      const asBase64 = await fetchJson(`${records(topic)}?offset=0`, headers);
      const asUtf8 = await h.request(`${records(topic)}?offset=0`);
      // Assess
      expect(asBase64.records[0]).toMatchObject({
        key: bytes,
        value: bytes,
        headers: [{ name: "h", value: bytes }],
      });
      expect(asUtf8.status).toBe(400);
      expect(await body<{ error_code: string; message: string }>(asUtf8)).toMatchObject({
        error_code: "invalid_request",
      });
    });

    it("stores JSON values as their JSON text and parses them back", async () => {
      // Prepare
      const topic = await createTopic(h);
      const values = [{ a: 1, b: [true, null] }, [1, 2], "text", 42, false, null];
      // Act
      await appendJson(
        topic,
        { records: values.map((value) => ({ key: "k", value })) },
        { "floe-format": "json" },
      );
      const asJson = await fetchJson(`${records(topic)}?offset=0`, { "floe-format": "json" });
      const asText = await fetchJson(`${records(topic)}?offset=0`);
      // Assess
      expect(asJson.records.map((r) => r.value)).toEqual(values);
      expect(asJson.records.map((r) => r.key)).toEqual(values.map(() => "k"));
      expect(asText.records.map((r) => r.value)).toEqual(
        values.map((v) => (v === null ? null : JSON.stringify(v))),
      );
    });

    it("accepts binary batches and serves them back as binary with the offsets patched in", async () => {
      // Prepare
      const topic = await createTopic(h);
      await appendJson(topic, { records: [{ value: "first" }] });
      const batch = (values: string[], compression: "none" | "lz4") =>
        encodeRecordBatch({
          compression,
          records: values.map((v, i) => ({
            key: enc.encode(`k${i}`),
            value: enc.encode(v),
            headers: [{ key: "h", value: enc.encode(v) }],
            timestamp: 5_000 + i,
          })),
        });
      const payload = Buffer.concat([batch(["a", "b"], "none"), batch(["c"], "lz4")]);
      // Act
      const produced = await h.request(records(topic), {
        method: "POST",
        headers: { "content-type": "application/vnd.floe.batch" },
        body: payload,
      });
      const fetched = await h.request(`${records(topic)}?offset=1`, {
        headers: { accept: "application/vnd.floe.batch" },
      });
      const decoded = decodeRecordBatches(new Uint8Array(await fetched.arrayBuffer()));
      // Assess
      expect(await body<PartitionReply>(produced)).toMatchObject({
        base_offset: 1,
        last_offset: 3,
        timestamp: 5_001,
      });
      expect(fetched.headers.get("content-type")).toBe("application/vnd.floe.batch");
      expect(fetched.headers.get("floe-start-offset")).toBe("1");
      expect(fetched.headers.get("floe-next-offset")).toBe("4");
      expect(fetched.headers.get("floe-high-watermark")).toBe("4");
      expect(fetched.headers.get("floe-log-start-offset")).toBe("0");
      const got = decoded
        .flatMap((b) => b.records)
        .map((r) => [r.offset, Buffer.from(r.value!).toString(), r.timestamp]);
      expect(got).toEqual([
        [1, "a", 5_000],
        [2, "b", 5_001],
        [3, "c", 5_000],
      ]);
    });

    it("compresses large JSON-produced batches and still reads them back", async () => {
      // Prepare
      const topic = await createTopic(h);
      const value = "x".repeat(4_000);
      // Act
      await appendJson(topic, { records: [{ value }, { value }] });
      const binary = await h.request(`${records(topic)}?offset=0`, {
        headers: { accept: "application/vnd.floe.batch" },
      });
      const batches = decodeRecordBatches(new Uint8Array(await binary.arrayBuffer()));
      const fetched = await fetchJson(`${records(topic)}?offset=0`);
      // Assess
      expect(batches.map((b) => b.header.compression)).toEqual(["lz4"]);
      expect(fetched.records.map((r) => r.value)).toEqual([value, value]);
    });

    it("routes keyed records as Kafka's partitioner does, and keyless ones of a request together", async () => {
      // Prepare
      const topic = await createTopic(h, 5);
      const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);
      // Act
      const keyed = await body<ProduceReply>(
        await h.json("POST", `/v1/topics/${topic}/records`, {
          records: keys.map((key) => ({ key, value: key })),
        }),
      );
      const keyless = await body<ProduceReply>(
        await h.json("POST", `/v1/topics/${topic}/records`, {
          records: [{ value: "a" }, { value: "b" }, { value: "c" }],
        }),
      );
      const own = await body<ProduceReply>(
        await h.json("POST", `/v1/topics/${topic}/records`, {
          records: [{ key: "key-0", value: "x", partition: 4 }],
        }),
      );
      // Assess
      expect(keyed.failed_record_count).toBe(0);
      for (const [i, r] of keyed.results.entries()) {
        expect(r).toMatchObject({ partition: partitionForKey(enc.encode(keys[i]!), 5) });
      }
      const keylessPartitions = new Set(keyless.results.map((r) => ("partition" in r ? r.partition : -1)));
      expect(keylessPartitions.size).toBe(1);
      expect(own.results[0]).toMatchObject({ partition: 4 });
      for (const [i, r] of keyed.results.entries()) {
        if (!("partition" in r)) throw new Error("failed");
        const at = await fetchJson(`${records(topic, r.partition)}?offset=${r.offset}&max_records=1`);
        expect(at.records[0]?.value).toBe(keys[i]);
      }
    });

    it("appends only when match_offset equals the next offset (412 otherwise, also for binary)", async () => {
      // Prepare
      const topic = await createTopic(h);
      await appendJson(topic, { records: [{ value: "a" }] });
      const batch = encodeRecordBatch({
        records: [{ key: null, value: enc.encode("b"), headers: [], timestamp: 1 }],
      });
      // Act
      const stale = await appendJson(topic, { records: [{ value: "x" }], match_offset: 0 });
      const staleBinary = await h.request(records(topic), {
        method: "POST",
        headers: { "content-type": "application/vnd.floe.batch", "floe-match-offset": "5" },
        body: Buffer.from(batch),
      });
      const fresh = await appendJson(topic, { records: [{ value: "b" }], match_offset: 1 });
      const tail = await body<{ high_watermark: number }>(
        await h.request(`/v1/topics/${topic}/partitions/0/tail`),
      );
      // Assess
      expect(stale.status).toBe(412);
      expect(await body<Record<string, unknown>>(stale)).toMatchObject({
        error_code: "offset_mismatch",
        expected_offset: 1,
      });
      expect(staleBinary.status).toBe(412);
      expect(fresh.status).toBe(200);
      expect(tail.high_watermark).toBe(2);
    });

    it("acknowledges an idempotent producer's duplicate with the original offsets, fences old epochs, refuses gaps", async () => {
      // Prepare
      const topic = await createTopic(h);
      const send = (epoch: number, sequence: number, values: string[]) =>
        appendJson(topic, {
          records: values.map((value) => ({ value })),
          producer: { id: "p-1", epoch, sequence },
        });
      // Act
      const first = await body<PartitionReply>(await send(0, 0, ["a", "b"]));
      const duplicate = await send(0, 0, ["a", "b"]);
      const gap = await send(0, 5, ["c"]);
      const next = await body<PartitionReply>(await send(1, 0, ["c"]));
      const fenced = await send(0, 2, ["d"]);
      const fetched = await fetchJson(`${records(topic)}?offset=0`);
      // Assess
      expect(first).toMatchObject({ base_offset: 0, last_offset: 1 });
      expect(duplicate.status).toBe(200);
      expect(await body<PartitionReply>(duplicate)).toMatchObject({ base_offset: 0, last_offset: 1 });
      expect(gap.status).toBe(409);
      expect(await body<Record<string, unknown>>(gap)).toMatchObject({ error_code: "out_of_order_sequence" });
      expect(next).toMatchObject({ base_offset: 2, last_offset: 2 });
      expect(fenced.status).toBe(412);
      expect(await body<Record<string, unknown>>(fenced)).toMatchObject({ error_code: "producer_fenced" });
      expect(fetched.records.map((r) => r.value)).toEqual(["a", "b", "c"]);
    });

    it("takes the producer of a binary body from its batch headers", async () => {
      // Prepare
      const topic = await createTopic(h);
      const batch = encodeRecordBatch({
        producerId: 77,
        producerEpoch: 0,
        baseSequence: 0,
        records: [{ key: null, value: enc.encode("once"), headers: [], timestamp: 1 }],
      });
      const post = () =>
        h.request(records(topic), {
          method: "POST",
          headers: { "content-type": "application/vnd.floe.batch" },
          body: Buffer.from(batch),
        });
      // Act
      const first = await body<PartitionReply>(await post());
      const again = await body<PartitionReply>(await post());
      const fetched = await fetchJson(`${records(topic)}?offset=0`);
      // Assess
      expect(again).toMatchObject({ base_offset: first.base_offset, last_offset: first.last_offset });
      expect(fetched.records).toHaveLength(1);
    });
  });

  describe("fetch selectors and limits", () => {
    async function threeInOneBatch(): Promise<string> {
      const topic = await createTopic(h);
      await appendJson(topic, {
        records: [1_000, 2_000, 3_000].map((timestamp) => ({ value: `at-${timestamp}`, timestamp })),
      });
      return topic;
    }

    it("reads from a timestamp, trimming the records before it out of their batch", async () => {
      // Prepare
      const topic = await threeInOneBatch();
      // Act
      const from2000 = await fetchJson(`${records(topic)}?timestamp=2000`);
      const from1500 = await fetchJson(`${records(topic)}?timestamp=1500`);
      const after = await fetchJson(`${records(topic)}?timestamp=9000`);
      // Assess
      expect(from2000.records.map((r) => r.offset)).toEqual([1, 2]);
      expect(from1500.records.map((r) => r.offset)).toEqual([1, 2]);
      expect(after).toMatchObject({ records: [], next_offset: 3 });
    });

    it("reads the last K records with tail_offset, and from the log start without a selector", async () => {
      // Prepare
      const topic = await threeInOneBatch();
      // Act
      const last = await fetchJson(`${records(topic)}?tail_offset=1`);
      const all = await fetchJson(`${records(topic)}?tail_offset=10`);
      const start = await fetchJson(records(topic));
      // Assess
      expect(last.records.map((r) => r.value)).toEqual(["at-3000"]);
      expect(all.records).toHaveLength(3);
      expect(start.records.map((r) => r.offset)).toEqual([0, 1, 2]);
    });

    it("cuts the reply at max_records inside a batch, with next_offset just past it", async () => {
      // Prepare
      const topic = await threeInOneBatch();
      // Act
      const page = await fetchJson(`${records(topic)}?offset=1&max_records=1`);
      // Assess
      expect(page.records.map((r) => r.offset)).toEqual([1]);
      expect(page.next_offset).toBe(2);
    });

    it("answers 416 with both bounds out of range, or clamps when asked", async () => {
      // Prepare
      const topic = await threeInOneBatch();
      // Act
      const outside = await h.request(`${records(topic)}?offset=99`);
      const clamped = await fetchJson(`${records(topic)}?offset=99&clamp=true`);
      // Assess
      expect(outside.status).toBe(416);
      expect(await body<Record<string, unknown>>(outside)).toMatchObject({
        error_code: "offset_out_of_range",
        log_start_offset: 0,
        high_watermark: 3,
      });
      expect(clamped).toMatchObject({ records: [], next_offset: 3, high_watermark: 3 });
    });

    it("long-polls at the end of the log until a record arrives", async () => {
      // Prepare
      const topic = await threeInOneBatch();
      const waiting = h.watcher.nextWait();
      const started = Date.now();
      // Act
      const poll = h.request(`${records(topic)}?offset=3&wait=10`);
      await waiting;
      await appendJson(topic, { records: [{ value: "late" }] });
      const reply = await body<FetchReply>(await poll);
      // Assess
      expect(reply.records.map((r) => [r.offset, r.value])).toEqual([[3, "late"]]);
      expect(Date.now() - started).toBeLessThan(10_000);
    });

    it("returns an empty list when the wait ends with nothing new", async () => {
      // Prepare
      const topic = await threeInOneBatch();
      const started = Date.now();
      // Act
      const reply = await fetchJson(`${records(topic)}?offset=3&wait=0.2`);
      // Assess
      expect(reply).toMatchObject({ records: [], next_offset: 3, high_watermark: 3 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    });

    it("reports the tail of a partition", async () => {
      // Prepare
      const topic = await threeInOneBatch();
      // Act
      const res = await h.request(`/v1/topics/${topic}/partitions/0/tail`);
      // Assess
      expect(await body<unknown>(res)).toEqual({
        high_watermark: 3,
        log_start_offset: 0,
        last_timestamp: 3_000,
      });
    });
  });

  describe("server-sent events", () => {
    const sse = (topic: string, query: string, headers: Record<string, string> = {}) =>
      h.request(`${records(topic)}?${query}`, { headers: { accept: "text/event-stream", ...headers } });

    it("streams batches as they arrive and stops waiting when the client goes away", async () => {
      // Prepare
      const topic = await createTopic(h);
      await appendJson(topic, { records: [{ value: "a" }, { value: "b" }] });
      const signalsFrom = h.watcher.signals.length;
      const waiting = h.watcher.nextWait();
      const res = await sse(topic, "offset=0");
      const events = new EventReader(res);
      // Act
      const first = await events.until("batch");
      await waiting;
      await appendJson(topic, { records: [{ value: "c" }] });
      const second = await events.until("batch");
      await events.cancel();
      // Assess
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const firstBatch = first.at(-1)!;
      expect(firstBatch.id).toBe("2");
      expect((JSON.parse(firstBatch.data) as FetchReply).records.map((r) => r.value)).toEqual(["a", "b"]);
      const secondBatch = second.at(-1)!;
      expect(secondBatch.id).toBe("3");
      expect((JSON.parse(secondBatch.data) as FetchReply).records.map((r) => r.offset)).toEqual([2]);
      const streamSignals = h.watcher.signals.slice(signalsFrom);
      expect(streamSignals.length).toBeGreaterThan(0);
      expect(streamSignals.every((signal) => signal?.aborted === true)).toBe(true);
    });

    it("resumes at Last-Event-ID, pings while idle, and ends the session with an end event", async () => {
      // Prepare
      const short = await buildHarness({
        backend: getBackend(),
        limits: { sseSessionMsMax: 300 },
        ssePingMs: 50,
      });
      const topic = await createTopic(short);
      await short.json("POST", records(topic), { records: ["a", "b", "c"].map((value) => ({ value })) });
      // Act
      const res = await short.request(`${records(topic)}?offset=0`, {
        headers: { accept: "text/event-stream", "last-event-id": "2" },
      });
      const events = new EventReader(res);
      const all: { event: string; data: string; id?: string }[] = [];
      for (let e = await events.next(); e; e = await events.next()) all.push(e);
      short.close();
      // Assess
      expect(all[0]?.event).toBe("batch");
      expect((JSON.parse(all[0]!.data) as FetchReply).records.map((r) => r.value)).toEqual(["c"]);
      expect(all.some((e) => e.event === "ping")).toBe(true);
      expect(all.at(-1)).toMatchObject({ event: "end", id: "3" });
      expect(JSON.parse(all.at(-1)!.data)).toEqual({ next_offset: 3 });
    });

    it("sends an error event and closes when the topic disappears mid-stream", async () => {
      // Prepare
      const topic = await createTopic(h);
      const waiting = h.watcher.nextWait();
      const events = new EventReader(await sse(topic, "offset=0"));
      await waiting;
      // Act
      // Nothing wakes the waiting stream: it finds out on its read after the next ping.
      await h.request(`/v1/topics/${topic}`, { method: "DELETE" });
      const seen = await events.until("error");
      const after = await events.next();
      // Assess
      expect(JSON.parse(seen.at(-1)!.data)).toMatchObject({ error_code: "topic_not_found" });
      expect(after).toBeUndefined();
    });

    it("answers a bad start with a plain JSON error before opening the stream", async () => {
      // Prepare
      const topic = await createTopic(h);
      // Act
      const res = await sse(topic, "offset=5");
      // Assess
      expect(res.status).toBe(416);
      expect(res.headers.get("content-type")).toContain("application/json");
    });
  });

  describe("topics", () => {
    it("creates, lists, describes, alters and deletes a topic", async () => {
      // Prepare
      const name = `crud-${Math.random().toString(36).slice(2, 8)}`;
      // Act
      const created = await h.json("POST", "/v1/topics", {
        name,
        partitions: 2,
        config: { "retention.ms": "60000" },
      });
      const again = await h.json("POST", "/v1/topics", { name, partitions: 2 });
      await h.json("POST", `/v1/topics/${name}/partitions/1/records`, { records: [{ value: "x" }] });
      const listed = await body<{ topics: { name: string }[] }>(await h.request("/v1/topics"));
      const described = await body<Record<string, unknown>>(await h.request(`/v1/topics/${name}`));
      const altered = await h.json("PATCH", `/v1/topics/${name}`, {
        partitions: 3,
        config: { "cleanup.policy": "compact" },
      });
      const shrink = await h.json("PATCH", `/v1/topics/${name}`, { partitions: 1 });
      const typo = await h.json("PATCH", `/v1/topics/${name}`, { config: { "retention.msec": 5 } });
      const deleted = await h.request(`/v1/topics/${name}`, { method: "DELETE" });
      const gone = await h.request(`/v1/topics/${name}`);
      const produceGone = await h.json("POST", `/v1/topics/${name}/records`, { records: [{ value: "x" }] });
      // Assess
      expect(created.status).toBe(201);
      expect(await body<unknown>(created)).toMatchObject({
        name,
        partition_count: 2,
        config: { "retention.ms": 60_000, "cleanup.policy": "delete" },
      });
      expect(again.status).toBe(409);
      expect(await body<unknown>(again)).toMatchObject({ error_code: "topic_exists" });
      expect(listed.topics.map((t) => t.name)).toContain(name);
      expect(described).toMatchObject({
        name,
        partition_count: 2,
        partitions: [
          { partition: 0, high_watermark: 0, log_start_offset: 0 },
          { partition: 1, high_watermark: 1, log_start_offset: 0 },
        ],
      });
      expect(altered.status).toBe(200);
      expect(await body<unknown>(altered)).toMatchObject({
        partition_count: 3,
        config: { "cleanup.policy": "compact", "retention.ms": 60_000 },
      });
      expect(shrink.status).toBe(400);
      expect(typo.status).toBe(400);
      expect(await body<{ message: string }>(typo)).toMatchObject({
        message: expect.stringContaining("retention.msec"),
      });
      expect(deleted.status).toBe(204);
      expect(gone.status).toBe(404);
      expect(await body<unknown>(gone)).toMatchObject({ error_code: "topic_not_found" });
      expect(produceGone.status).toBe(404);
    });
  });
}
