/**
 * The broker directory over the in-memory manifest with a fake clock: node-id claims, heartbeats,
 * expiry, rendezvous placement of groups and the spread of partition leaders.
 */
import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import {
  BROKERS_PK,
  ManifestBrokerDirectory,
  NoNodeIdError,
  rendezvous,
} from "../../functions/src/kafka/broker-directory.js";
import type { BrokerInfo } from "../../functions/src/kafka/group-port.js";
import type {
  ManifestItem,
  ManifestStore,
  WriteCondition,
} from "../../functions/src/ports/manifest-store.js";
import { FakeClock } from "../support/fake-clock.js";

function agent(manifest: ManifestStore, clock: FakeClock, port: number, extra: { maxNodes?: number } = {}) {
  return new ManifestBrokerDirectory({
    manifest,
    clock,
    advertised: { host: "127.0.0.1", port },
    heartbeatMs: 1_000,
    ttlMs: 5_000,
    timers: false,
    ...extra,
  });
}

/** A store whose puts ignore their condition: what the claim would be without it. */
class UnconditionalStore implements ManifestStore {
  constructor(private readonly inner: ManifestStore) {}
  get(pk: string, sk: string) {
    return this.inner.get(pk, sk);
  }
  put(item: ManifestItem, _condition: WriteCondition) {
    return this.inner.put(item, { kind: "none" });
  }
  delete(pk: string, sk: string, condition?: WriteCondition) {
    return this.inner.delete(pk, sk, condition);
  }
  query(pk: string, options?: Parameters<ManifestStore["query"]>[1]) {
    return this.inner.query(pk, options);
  }
}

describe("broker directory", () => {
  it("gives agents starting at once distinct node ids, stable across heartbeats", async () => {
    // Prepare
    const manifest = new MemoryManifestStore();
    const clock = new FakeClock();
    const agents = [agent(manifest, clock, 9001), agent(manifest, clock, 9002), agent(manifest, clock, 9003)];
    // Act
    await Promise.all(agents.map((a) => a.start()));
    const ids = agents.map((a) => a.self().nodeId);
    // a view is at most one heartbeat old
    for (let i = 0; i < 5; i++) {
      clock.advance(1_000);
      await Promise.all(agents.map((a) => a.heartbeat()));
    }
    // Assess
    expect(new Set(ids).size).toBe(3);
    expect([...ids].sort()).toEqual([0, 1, 2]);
    expect(agents.map((a) => a.self().nodeId)).toEqual(ids);
    const live = await agents[0]!.live();
    expect(live.map((b) => b.nodeId)).toEqual([0, 1, 2]);
    expect(live.map((b) => b.port).sort()).toEqual([9001, 9002, 9003]);
  });

  it("the claim's condition is what keeps ids distinct (canary: without it two agents share one)", async () => {
    const manifest = new UnconditionalStore(new MemoryManifestStore());
    const clock = new FakeClock();
    const agents = [agent(manifest, clock, 9001), agent(manifest, clock, 9002)];
    await Promise.all(agents.map((a) => a.start()));
    expect(agents[0]!.self().nodeId).toBe(agents[1]!.self().nodeId);
  });

  it("drops an agent that stops heartbeating once its registration expires, and reuses its id", async () => {
    const manifest = new MemoryManifestStore();
    const clock = new FakeClock();
    const a = agent(manifest, clock, 9001);
    const b = agent(manifest, clock, 9002);
    await a.start();
    await b.start();
    expect(b.self().nodeId).toBe(1);
    // b dies (no close): a keeps beating.
    for (let i = 0; i < 4; i++) {
      clock.advance(1_000);
      await a.heartbeat();
    }
    expect((await a.live()).map((x) => x.nodeId)).toEqual([0, 1]);
    clock.advance(1_001);
    await a.heartbeat();
    expect((await a.live()).map((x) => x.nodeId)).toEqual([0]);
    const c = agent(manifest, clock, 9003);
    await c.start();
    expect(c.self().nodeId).toBe(1);
    await a.heartbeat();
    expect((await a.live()).find((x) => x.nodeId === 1)?.port).toBe(9003);
  });

  it("an agent paused past its ttl whose id was taken claims a new one instead of sharing it", async () => {
    const manifest = new MemoryManifestStore();
    const clock = new FakeClock();
    const a = agent(manifest, clock, 9001);
    const b = agent(manifest, clock, 9002);
    await a.start();
    await b.start();
    clock.advance(6_000); // both lapse; only b wakes up first and a newcomer takes id 0
    await b.heartbeat();
    const c = agent(manifest, clock, 9003);
    await c.start();
    expect(c.self().nodeId).toBe(0);
    await a.heartbeat(); // a's refresh fails its version condition: id 0 is c's now
    expect(a.self().nodeId).toBe(2);
    await c.heartbeat();
    const live = await c.live();
    expect(live.map((x) => [x.nodeId, x.port])).toEqual([
      [0, 9003],
      [1, 9002],
      [2, 9001],
    ]);
  });

  it("close removes the registration at once", async () => {
    const manifest = new MemoryManifestStore();
    const clock = new FakeClock();
    const a = agent(manifest, clock, 9001);
    const b = agent(manifest, clock, 9002);
    await a.start();
    await b.start();
    await b.close();
    clock.advance(1_000);
    expect((await a.live()).map((x) => x.nodeId)).toEqual([0]);
    expect((await manifest.query(BROKERS_PK)).items).toHaveLength(1);
  });

  it("refuses to start when every node id is held by a live agent", async () => {
    const manifest = new MemoryManifestStore();
    const clock = new FakeClock();
    await agent(manifest, clock, 9001, { maxNodes: 2 }).start();
    await agent(manifest, clock, 9002, { maxNodes: 2 }).start();
    await expect(agent(manifest, clock, 9003, { maxNodes: 2 }).start()).rejects.toBeInstanceOf(NoNodeIdError);
  });

  it("a corrupt registration names no broker and its id can be claimed", async () => {
    const manifest = new MemoryManifestStore();
    const clock = new FakeClock();
    await manifest.put(
      { pk: BROKERS_PK, sk: "n#000000", version: 3, data: { junk: true } },
      { kind: "absent" },
    );
    const a = agent(manifest, clock, 9001);
    await a.start();
    expect(a.self().nodeId).toBe(0);
  });

  it("coordinatorFor: agents agree, and a broker's death moves only the groups it coordinated", async () => {
    const manifest = new MemoryManifestStore();
    const clock = new FakeClock();
    const agents = [1, 2, 3, 4].map((i) => agent(manifest, clock, 9000 + i));
    for (const a of agents) await a.start();
    await Promise.all(agents.map((a) => a.heartbeat()));
    const groups = Array.from({ length: 200 }, (_, i) => `group-${i}`);
    const before = await Promise.all(groups.map((g) => agents[0]!.coordinatorFor(g)));
    const elsewhere = await Promise.all(groups.map((g) => agents[3]!.coordinatorFor(g)));
    expect(elsewhere).toEqual(before);
    const counts = new Map<number, number>();
    for (const b of before) counts.set(b.nodeId, (counts.get(b.nodeId) ?? 0) + 1);
    expect(counts.size).toBe(4); // every broker coordinates some groups
    for (const n of counts.values()) expect(n).toBeGreaterThan(20);
    // broker 2 dies
    await agents[2]!.close();
    clock.advance(1_000);
    const after = await Promise.all(groups.map((g) => agents[0]!.coordinatorFor(g)));
    groups.forEach((_, i) => {
      if (before[i]!.nodeId !== 2) expect(after[i]).toEqual(before[i]);
      else expect(after[i]!.nodeId).not.toBe(2);
    });
  });

  it("leaderFor spreads a topic's partitions evenly over the live brokers", async () => {
    const manifest = new MemoryManifestStore();
    const clock = new FakeClock();
    const agents = [1, 2, 3].map((i) => agent(manifest, clock, 9000 + i));
    for (const a of agents) await a.start();
    await Promise.all(agents.map((a) => a.heartbeat()));
    const leaders = await Promise.all(Array.from({ length: 9 }, (_, p) => agents[1]!.leaderFor("orders", p)));
    const counts = new Map<number, number>();
    for (const b of leaders) counts.set(b.nodeId, (counts.get(b.nodeId) ?? 0) + 1);
    expect([...counts.values()]).toEqual([3, 3, 3]);
  });

  it("shared mode: every agent is the one broker at the shared address, with no registration", async () => {
    const manifest = new MemoryManifestStore();
    const clock = new FakeClock();
    const shared = (port: number) =>
      new ManifestBrokerDirectory({
        manifest,
        clock,
        advertised: { host: "kafka.example.com", port },
        mode: "shared",
        timers: false,
      });
    const a = shared(9092);
    const b = shared(9092);
    await a.start();
    await b.start();
    const one: BrokerInfo = { nodeId: 0, host: "kafka.example.com", port: 9092 };
    expect(await a.live()).toEqual([one]);
    expect(await b.coordinatorFor("g")).toEqual(one);
    expect(await a.leaderFor("t", 7)).toEqual(one);
    expect((await manifest.query(BROKERS_PK)).items).toHaveLength(0);
  });

  it("rendezvous picks the same broker whatever the order of the list", () => {
    const brokers = [0, 1, 2, 3, 4].map((nodeId) => ({ nodeId, host: "h", port: 1 }));
    for (let i = 0; i < 50; i++) {
      const key = `k${i}`;
      expect(rendezvous(key, [...brokers].reverse())).toEqual(rendezvous(key, brokers));
    }
  });
});
