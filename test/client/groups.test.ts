/** Consumer groups against a real agent: partitions split, move on join and leave, never overlap. */
import { afterEach, describe, expect, it } from "vitest";
import { type Consumer, FloeClient, text } from "../../client/src/index.js";
import { topicName, useAgent } from "./agent.js";

interface Processed {
  member: string;
  partition: number;
  offset: number;
  value: string;
}

/** What the test is waiting for, named in the failure if the test's timeout ends the wait. */
let waitingFor = "";

/**
 * Waits until `condition` holds. No deadline of its own: a wait of its own (10 s used to be) is
 * hit on a busy machine although nothing is wrong. The test's timeout (GROUP_TEST_TIMEOUT_MS) bounds
 * it, and afterEach names what was awaited.
 */
async function until(condition: () => boolean, what: string): Promise<void> {
  waitingFor = what;
  while (!condition()) await new Promise((r) => setTimeout(r, 20));
  waitingFor = "";
}

/** Rebalances run on real heartbeats; generous, since no verdict may depend on speed. */
const GROUP_TEST_TIMEOUT_MS = 180_000;

function startMember(consumer: Consumer, name: string, log: Processed[]): Promise<void> {
  return (async () => {
    for await (const r of consumer) {
      log.push({ member: name, partition: r.partition, offset: r.offset, value: text(r.value)! });
      await new Promise((resolve) => setTimeout(resolve, 1)); // "processing"
    }
  })();
}

describe("consumer groups", { timeout: GROUP_TEST_TIMEOUT_MS }, () => {
  const agent = useAgent();
  afterEach(() => {
    // Still set after a test: its timeout ended a wait. Say which.
    if (waitingFor) console.error(`consumer groups test timed out waiting for ${waitingFor}`);
    waitingFor = "";
  });
  const groupOptions = {
    heartbeatIntervalMs: 100,
    autoCommitIntervalMs: 200,
    sessionTimeoutMs: 5_000,
    waitSeconds: 1,
  };

  it("splits partitions between members and hands them over on join and leave without double-processing", async () => {
    // Prepare
    const client = new FloeClient({ url: agent().url });
    const topic = topicName("grp");
    const group = topicName("g");
    await client.admin.createTopic(topic, { partitions: 4 });
    const log: Processed[] = [];
    const total = 400;
    const producer = client.producer({ lingerMs: 2 });
    // Records keep arriving for about two seconds, across both handovers.
    const producing = (async () => {
      for (let i = 0; i < total; i++) {
        await producer.submit(topic, { key: `k${i}`, value: `v${i}` });
        if (i % 10 === 9) await new Promise((r) => setTimeout(r, 50));
      }
      await producer.close();
    })();
    // Act: A alone, then B joins, then A leaves while records keep coming. Handovers here are
    // cooperative (join, leave); a session long enough that no member is expelled because a busy
    // machine delayed its heartbeats (an expelled member's records are redelivered: at least once).
    const members = { ...groupOptions, sessionTimeoutMs: 60_000 };
    const a = client.consumer({ topics: topic, group, from: "earliest", ...members });
    const aDone = startMember(a, "a", log);
    await until(() => a.assignment().length === 4, "A to own all partitions");
    const b = client.consumer({ topics: topic, group, from: "earliest", ...members });
    const bDone = startMember(b, "b", log);
    await until(() => a.assignment().length === 2 && b.assignment().length === 2, "a 2/2 split");
    const split = [a.assignment(), b.assignment()].map((tps) => tps.map((tp) => tp.partition).sort());
    await until(() => log.some((p) => p.member === "b"), "B to process records");
    await a.close();
    await aDone;
    await until(() => b.assignment().length === 4, "B to take over");
    await producing;
    await until(() => new Set(log.map((p) => p.value)).size === total, "every record to be processed");
    await b.close();
    await bDone;
    const description = await client.admin.describeGroup(group);
    // Assess
    expect([...split[0]!, ...split[1]!].sort()).toEqual([0, 1, 2, 3]);
    const values = log.map((p) => p.value);
    expect(values.length).toBe(total); // nothing processed twice
    expect(new Set(values).size).toBe(total);
    for (let p = 0; p < 4; p++) {
      const offsets = log.filter((x) => x.partition === p).map((x) => x.offset);
      expect(offsets).toEqual([...offsets].sort((x, y) => x - y)); // handed over in order, no overlap
      expect(offsets).toEqual([...Array(offsets.length).keys()]); // and without gaps
    }
    expect(new Set(log.map((p) => p.member))).toEqual(new Set(["a", "b"]));
    expect(description.totalLag).toBe(0);
    expect(description.offsets.every((o) => o.committedOffset === o.highWatermark)).toBe(true);
  });

  it("resumes from the committed offset after a restart", async () => {
    // Prepare
    const client = new FloeClient({ url: agent().url });
    const topic = topicName("grp");
    const group = topicName("g");
    await client.admin.createTopic(topic, { partitions: 2 });
    const producer = client.producer();
    await producer.sendBatch(
      topic,
      Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })),
    );
    // Act: read 8 and stop; a second consumer reads the rest.
    const first: string[] = [];
    for await (const r of client.consumer({ topics: topic, group, from: "earliest", ...groupOptions })) {
      first.push(text(r.value)!);
      if (first.length === 8) break;
    }
    await producer.sendBatch(
      topic,
      Array.from({ length: 5 }, (_, i) => ({ key: `n${i}`, value: `w${i}` })),
    );
    await producer.close();
    const second: string[] = [];
    for await (const r of client.consumer({
      topics: topic,
      group,
      from: "earliest",
      follow: false,
      ...groupOptions,
    })) {
      second.push(text(r.value)!);
    }
    // Assess
    expect(first).toHaveLength(8);
    expect([...first, ...second].sort()).toEqual(
      [
        ...Array.from({ length: 20 }, (_, i) => `v${i}`),
        ...Array.from({ length: 5 }, (_, i) => `w${i}`),
      ].sort(),
    );
  });

  it("never lets two members process one partition at once, even while a record is held during a handover", async () => {
    // Prepare: A processes slowly, so B joins while A holds a record of a partition B is to get.
    const client = new FloeClient({ url: agent().url });
    const topic = topicName("grp");
    const group = topicName("g");
    await client.admin.createTopic(topic, { partitions: 2 });
    const producer = client.producer();
    await producer.sendBatch(
      topic,
      Array.from({ length: 40 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })),
    );
    await producer.close();
    const spans: { member: string; partition: number; offset: number; start: number; end: number }[] = [];
    const member = (consumer: Consumer, name: string, processMs: number) =>
      (async () => {
        for await (const r of consumer) {
          const start = performance.now();
          await new Promise((resolve) => setTimeout(resolve, processMs));
          spans.push({
            member: name,
            partition: r.partition,
            offset: r.offset,
            start,
            end: performance.now(),
          });
        }
      })();
    // Act
    const a = client.consumer({ topics: topic, group, from: "earliest", ...groupOptions });
    const aDone = member(a, "a", 400);
    await until(() => spans.length >= 1, "A to be processing");
    const b = client.consumer({ topics: topic, group, from: "earliest", ...groupOptions });
    const bDone = member(b, "b", 5);
    await until(() => spans.some((s) => s.member === "b"), "B to get a partition");
    await until(() => spans.filter((s) => s.member === "b").length >= 5, "B to make progress");
    await Promise.all([a.close(), b.close()]);
    await Promise.all([aDone, bDone]);
    // Assess: per partition, a span of one member never overlaps a span of the other.
    for (let p = 0; p < 2; p++) {
      const mine = spans.filter((s) => s.partition === p).sort((x, y) => x.start - y.start);
      for (let i = 1; i < mine.length; i++) {
        if (mine[i]!.member !== mine[i - 1]!.member)
          expect(mine[i]!.start).toBeGreaterThanOrEqual(mine[i - 1]!.end);
      }
      const offsets = mine.map((s) => s.offset);
      expect(offsets).toEqual([...Array(offsets.length).keys()]); // nothing twice, nothing skipped
    }
    expect(new Set(spans.map((s) => s.member))).toEqual(new Set(["a", "b"]));
  });
});
