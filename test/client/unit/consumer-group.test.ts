/**
 * The consumer's side of a group handover, against a scripted fake server (no timing luck): a
 * partition taken away while the caller holds one of its records stays owned until the caller
 * asks for the next record; then its progress (including the held record) is committed, and
 * only after that does the member stop reporting it as owned.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { FloeClient } from "../../../client/src/index.js";
import type { Consumer } from "../../../client/src/sdk/consumer.js";
import type { FetchFn } from "../../../client/src/sdk/transport.js";

interface Commit {
  partition: number;
  offset: number;
}

/** A group of one member over topic "t" with two partitions of 10 records each. */
function fakeServer() {
  const state = {
    assignment: [0, 1],
    heartbeats: [] as number[][],
    commits: [] as { at: number; offsets: Commit[] }[],
    generation: 1,
  };
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
  const assignmentReply = () => ({
    member_id: "m1",
    generation: state.generation,
    assignment: [{ topic: "t", partitions: state.assignment }],
    heartbeat_interval_ms: 20,
  });
  const fetchFn: FetchFn = async (url, init) => {
    const u = new URL(url);
    const body = typeof init.body === "string" ? (JSON.parse(init.body) as Record<string, unknown>) : {};
    if (init.method === "POST" && u.pathname === "/v1/groups/g/members") return json(assignmentReply(), 201);
    if (init.method === "POST" && u.pathname === "/v1/groups/g/members/m1/heartbeat") {
      const owned = (body.owned as { partitions: number[] }[]).flatMap((o) => o.partitions).sort();
      state.heartbeats.push(owned);
      return json(assignmentReply());
    }
    if (init.method === "DELETE") return new Response(null, { status: 204 });
    if (u.pathname === "/v1/groups/g/offsets") {
      if (init.method === "GET") return json({ offsets: [] });
      state.commits.push({ at: state.heartbeats.length, offsets: body.offsets as Commit[] });
      return json({ offsets: [] });
    }
    const m = /^\/v1\/topics\/t\/partitions\/(\d)\/records$/.exec(u.pathname);
    if (m) {
      const partition = Number(m[1]);
      const start = Number(u.searchParams.get("offset") ?? 0);
      const records = [];
      for (let o = start; o < Math.min(10, start + 1); o++) {
        records.push({ key: null, value: btoa(`p${partition}-${o}`), headers: [], timestamp: 0, offset: o });
      }
      if (records.length === 0) await new Promise((r) => setTimeout(r, 30));
      return json({ records, next_offset: start + records.length, high_watermark: 10, log_start_offset: 0 });
    }
    return json({ error_code: "route_not_found", message: url, retriable: false }, 404);
  };
  return { state, fetchFn };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `condition` holds, however long that takes on a loaded machine (the test's own
 * timeout is the bound): a verdict waits for the event, never for a guessed duration.
 */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await sleep(5);
}

describe("consumer in a group", () => {
  let consumer: Consumer | undefined;
  afterEach(async () => {
    await consumer?.close();
  });

  it("keeps a revoked partition until the held record is done, commits it, then releases it", async () => {
    // Prepare
    const { state, fetchFn } = fakeServer();
    const client = new FloeClient({ url: "http://fake", fetch: fetchFn });
    consumer = client.consumer({
      topics: "t",
      group: "g",
      from: "earliest",
      transport: "json",
      heartbeatIntervalMs: 20,
      autoCommitIntervalMs: 60_000,
      maxRecords: 1,
    });
    const iterator = consumer[Symbol.asyncIterator]();
    let held = (await iterator.next()).value!;
    while (held.partition !== 1) held = (await iterator.next()).value!;
    // Act 1: the server takes partition 1 away while the caller holds one of its records.
    state.assignment = [0];
    const revokedAt = state.heartbeats.length;
    await until(() => state.heartbeats.length >= revokedAt + 5);
    const whileHeld = state.heartbeats.slice(revokedAt + 1);
    // Act 2: the caller is done with it and asks for more.
    const after: number[] = [];
    for (let i = 0; i < 5; i++) after.push((await iterator.next()).value!.partition);
    const p1Committed = () => state.commits.some((c) => c.offsets.some((o) => o.partition === 1));
    await until(() => p1Committed() && state.heartbeats.at(-1)?.join() === "0");
    // Assess
    expect(whileHeld.length).toBeGreaterThan(3);
    for (const owned of whileHeld) expect(owned).toEqual([0, 1]);
    const p1Commit = state.commits.flatMap((c) => c.offsets).find((o) => o.partition === 1);
    expect(p1Commit?.offset).toBe(held.offset + 1);
    expect(state.heartbeats.at(-1)).toEqual([0]);
    expect(after.every((p) => p === 0)).toBe(true);
  });

  it("stops everything and rejoins when the server says the membership is gone", async () => {
    // Prepare
    const { state, fetchFn } = fakeServer();
    let expelled = false;
    let joins = 0;
    const flaky: FetchFn = async (url, init) => {
      if (url.endsWith("/members") && init.method === "POST") joins++;
      if (url.endsWith("/heartbeat") && !expelled && state.heartbeats.length >= 2) {
        expelled = true;
        return new Response(
          JSON.stringify({ error_code: "member_not_found", message: "lease expired", retriable: false }),
          { status: 404 },
        );
      }
      return fetchFn(url, init);
    };
    const revoked: number[][] = [];
    consumer = new FloeClient({ url: "http://fake", fetch: flaky }).consumer({
      topics: "t",
      group: "g",
      from: "earliest",
      transport: "json",
      heartbeatIntervalMs: 20,
      onRevoked: (tps) => revoked.push(tps.map((tp) => tp.partition).sort()),
    });
    const iterator = consumer[Symbol.asyncIterator]();
    // Act
    await iterator.next();
    await until(() => joins === 2 && revoked.length > 0 && consumer!.assignment().length === 2);
    // Assess
    expect(expelled).toBe(true);
    expect(revoked[0]).toEqual([0, 1]);
    expect(joins).toBe(2);
    expect(
      consumer
        .assignment()
        .map((tp) => tp.partition)
        .sort(),
    ).toEqual([0, 1]);
  });
  it("sends one commit at a time, so a slow one cannot land after a newer one", async () => {
    // Prepare: commits wait at the server until released; the server applies them in that order.
    const { state, fetchFn } = fakeServer();
    state.assignment = [0];
    const gates: (() => void)[] = [];
    let gating = true;
    const slowCommits: FetchFn = async (url, init) => {
      if (gating && init.method === "POST" && new URL(url).pathname === "/v1/groups/g/offsets")
        await new Promise<void>((release) => gates.push(release));
      return fetchFn(url, init);
    };
    consumer = new FloeClient({ url: "http://fake", fetch: slowCommits }).consumer({
      topics: "t",
      group: "g",
      from: "earliest",
      transport: "json",
      heartbeatIntervalMs: 20,
      autoCommitIntervalMs: 60_000,
    });
    const iterator = consumer[Symbol.asyncIterator]();
    await iterator.next();
    await iterator.next(); // offset 0 processed
    // Act: commit, process one more, commit again while the first is still at the server.
    const first = consumer.commit();
    await iterator.next(); // offset 1 processed
    const second = consumer.commit();
    await sleep(50);
    let settled = false;
    void Promise.all([first, second]).then(() => {
      settled = true;
    });
    while (!settled) {
      gates.pop()?.(); // newest first: what an overtaking request would do
      await sleep(10);
    }
    gating = false;
    // Assess
    const applied = state.commits.flatMap((c) => c.offsets).map((o) => o.offset);
    expect(applied.at(-1)).toBe(2);
    expect(applied).toEqual([...applied].sort((x, y) => x - y));
  });

  it("does not count a record held across an expulsion once the partition comes back", async () => {
    // Prepare: after the expulsion, another member has committed partition 0 up to offset 8.
    const { state, fetchFn } = fakeServer();
    state.assignment = [0];
    let expel = false;
    let expelled = false;
    let joins = 0;
    const flaky: FetchFn = async (url, init) => {
      const path = new URL(url).pathname;
      if (path === "/v1/groups/g/members" && init.method === "POST") joins++;
      if (path.endsWith("/heartbeat") && expel && !expelled) {
        expelled = true;
        return new Response(
          JSON.stringify({ error_code: "member_not_found", message: "lease expired", retriable: false }),
          { status: 404 },
        );
      }
      if (expelled && init.method === "GET" && path === "/v1/groups/g/offsets") {
        return new Response(JSON.stringify({ offsets: [{ topic: "t", partition: 0, offset: 8 }] }), {
          headers: { "Content-Type": "application/json" },
        });
      }
      return fetchFn(url, init);
    };
    consumer = new FloeClient({ url: "http://fake", fetch: flaky }).consumer({
      topics: "t",
      group: "g",
      from: "earliest",
      transport: "json",
      heartbeatIntervalMs: 20,
      autoCommitIntervalMs: 60_000,
    });
    const iterator = consumer[Symbol.asyncIterator]();
    const held = (await iterator.next()).value!;
    // Act: the membership is lost and regained while the caller holds offset 0.
    expel = true;
    await until(() => expelled && joins === 2 && consumer!.assignment().length === 1);
    const next = (await iterator.next()).value!;
    await consumer.commit();
    // Assess
    expect(expelled).toBe(true);
    expect(held.offset).toBe(0);
    expect(next.offset).toBe(8);
    const committedOffsets = state.commits.flatMap((c) => c.offsets).map((o) => o.offset);
    expect(committedOffsets.every((o) => o >= 8)).toBe(true);
  });

  it("close() cuts short a heartbeat backoff, leaving no timer to hold the process open", async () => {
    // Prepare: once joined, every heartbeat is throttled with Retry-After: 30.
    const { fetchFn } = fakeServer();
    const throttling: FetchFn = async (url, init) => {
      if (url.endsWith("/heartbeat")) {
        return new Response(
          JSON.stringify({ error_code: "throttled", message: "slow down", retriable: true }),
          {
            status: 429,
            headers: { "Retry-After": "30" },
          },
        );
      }
      return fetchFn(url, init);
    };
    const timers = new Map<unknown, number>();
    const setSpy = vi.spyOn(globalThis, "setTimeout");
    const clearSpy = vi.spyOn(globalThis, "clearTimeout");
    consumer = new FloeClient({ url: "http://fake", fetch: throttling }).consumer({
      topics: "t",
      group: "g",
      from: "earliest",
      transport: "json",
      heartbeatIntervalMs: 20,
    });
    try {
      await consumer[Symbol.asyncIterator]().next();
      // The backoff timer (Retry-After: 30 s) exists once the throttled reply was handled.
      await until(() => setSpy.mock.calls.some((c) => typeof c[1] === "number" && c[1] >= 10_000));
      // Act
      await consumer.close();
      await sleep(20);
      // Assess: every backoff timer (≥ 10 s) was created and then cleared.
      setSpy.mock.calls.forEach((call, i) => {
        if (typeof call[1] === "number" && call[1] >= 10_000)
          timers.set(setSpy.mock.results[i]?.value, call[1]);
      });
      const cleared = new Set(clearSpy.mock.calls.map((call) => call[0]));
      expect(timers.size).toBeGreaterThan(0);
      for (const timer of timers.keys()) expect(cleared.has(timer as never)).toBe(true);
    } finally {
      setSpy.mockRestore();
      clearSpy.mockRestore();
    }
  });
});
