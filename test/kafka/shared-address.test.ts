/**
 * Behind a load balancer every agent is the one broker and accepts every group: members of one
 * group reach different agents and still meet in one barrier, because the barrier's state is the
 * manifest item and each agent's waiting requests re-read it (tick).
 */
import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { ManifestBrokerDirectory } from "../../functions/src/kafka/broker-directory.js";
import { ClassicGroupCoordinator } from "../../functions/src/kafka/classic-groups.js";
import { KafkaGroupError as E } from "../../functions/src/kafka/group-errors.js";
import { FakeClock } from "../support/fake-clock.js";
import { commitCodes, fixedPartitions, joinInput, settle, TestMember } from "./classic-harness.js";

function sharedAgents(n: number, initialRebalanceDelayMs = 0) {
  const manifest = new MemoryManifestStore();
  const clock = new FakeClock();
  let ids = 0;
  const agents = Array.from(
    { length: n },
    () =>
      new ClassicGroupCoordinator({
        manifest,
        clock,
        directory: new ManifestBrokerDirectory({
          manifest,
          clock,
          advertised: { host: "kafka.example.com", port: 9092 },
          mode: "shared",
          timers: false,
        }),
        timers: false,
        partitions: fixedPartitions(4),
        newId: (clientId) => `${clientId}-${++ids}`,
        limits: { initialRebalanceDelayMs },
      }),
  );
  return { manifest, clock, agents };
}

async function tickAll(agents: ClassicGroupCoordinator[], clock: FakeClock, promises: Promise<unknown>[]) {
  let done = 0;
  for (const p of promises) p.finally(() => done++).catch(() => {});
  for (let i = 0; i < 500 && done < promises.length; i++) {
    await settle();
    clock.advance(100);
    for (const a of agents) await a.tick();
  }
  await Promise.all(promises);
}

describe("shared address: members of one group on different agents", () => {
  // (the initial-delay case below runs on one agent: the delay is the same wherever members land)
  it("join on agent 0 and agent 1 meet in one generation; the follower's sync on agent 1 gets the leader's assignment", async () => {
    const { clock, agents } = sharedAgents(2);
    const counts = new Map([["orders", 4]]);
    const a = new TestMember("grp", ["orders"], counts, "a");
    const b = new TestMember("grp", ["orders"], counts, "b");
    // a alone first, then b joins through the other agent
    await tickAll(agents, clock, [a.join(agents[0]!)]);
    await tickAll(agents, clock, [a.sync(agents[0]!)]);
    const bJoin = b.join(agents[1]!);
    await settle();
    expect((await a.heartbeat(agents[0]!)).errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    const aJoin = a.join(agents[0]!);
    await tickAll(agents, clock, [aJoin, bJoin]);
    expect(a.generation).toBe(b.generation);
    expect(b.joined!.leader).toBe(b.memberId);
    // the follower syncs on agent 0, the leader on agent 1
    await tickAll(agents, clock, [a.sync(agents[0]!), b.sync(agents[1]!)]);
    expect([...a.assignment, ...b.assignment].map((p) => p.partition).sort()).toEqual([0, 1, 2, 3]);
    // any agent accepts the group's commits and heartbeats
    expect(
      commitCodes(
        await a.commit(agents[1]!, [{ topic: "orders", partition: a.assignment[0]!.partition, offset: 5 }]),
      ),
    ).toEqual([E.NONE]);
    expect((await b.heartbeat(agents[0]!)).errorCode).toBe(E.NONE);
  });

  it("a new group waits the initial rebalance delay so members joining together share the first generation", async () => {
    const { clock, agents } = sharedAgents(1, 3_000);
    const c = agents[0]!;
    let firstDone = false;
    const a = c.joinGroup(joinInput("grp2", "", ["orders"], { apiVersion: 3 })).then((o) => {
      firstDone = true;
      return o;
    });
    await settle();
    clock.advance(1_000);
    await c.tick();
    await settle();
    expect(firstDone).toBe(false);
    const b = c.joinGroup(joinInput("grp2", "", ["orders"], { apiVersion: 3 }));
    await tickAll(agents, clock, [a, b]);
    const [oa, ob] = await Promise.all([a, b]);
    expect(oa.generationId).toBe(1);
    expect(ob.generationId).toBe(1);
    expect(oa.leader).toBe(oa.memberId);
  });
});
