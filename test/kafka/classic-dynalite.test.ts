/**
 * The classic group coordinator and the broker directory through the AWS SDK against dynalite:
 * the same conditional writes over real DynamoDB semantics (a shorter model run: each dynalite
 * request costs a few ms of the shared cores).
 */
import { describe, expect, it } from "vitest";
import { ManifestBrokerDirectory } from "../../functions/src/kafka/broker-directory.js";
import { KafkaGroupError as E } from "../../functions/src/kafka/group-errors.js";
import { FakeClock } from "../support/fake-clock.js";
import { useStandIns } from "../support/standins.js";
import { commitCodes, rebalance, setup, TestMember } from "./classic-harness.js";
import { runModel } from "./classic-model.js";

const standIns = useStandIns();

describe("classic groups on dynalite", () => {
  it("join, sync, commit, failover to another coordinator, rejoin: offsets survive, old generation fenced", async () => {
    const s = setup(await standIns().newManifestStore());
    const c0 = s.coordinator(0);
    const counts = new Map([["orders", 4]]);
    const a = new TestMember("grp", ["orders"], counts, "a");
    const b = new TestMember("grp", ["orders"], counts, "b");
    await rebalance(c0, s.clock, [a, b]);
    expect([...a.assignment, ...b.assignment]).toHaveLength(4);
    const aHeld = a.assignment.map((p) => ({ ...p, offset: 40 }));
    expect(commitCodes(await a.commit(c0, aHeld))).toEqual(aHeld.map(() => E.NONE));
    const oldGeneration = a.generation;
    // the coordinator dies; node 1 takes over from the manifest alone
    await c0.close();
    s.cluster.coordinator = 1;
    const c1 = s.coordinator(1);
    expect((await a.heartbeat(c0)).errorCode).toBe(E.NOT_COORDINATOR);
    expect((await a.heartbeat(c1)).errorCode).toBe(E.NONE);
    await c1.leaveGroup({ groupId: "grp", members: [{ memberId: b.memberId, groupInstanceId: null }] });
    await rebalance(c1, s.clock, [a]);
    expect(a.generation).toBe(oldGeneration + 1);
    const fetched = await c1.fetchOffsets({
      groupId: "grp",
      topics: [{ name: "orders", partitions: [0, 1, 2, 3] }],
    });
    for (const p of aHeld)
      expect(fetched.topics[0]!.partitions.find((x) => x.partition === p.partition)!.offset).toBe(40);
    const stale = await b.commit(c1, [
      { topic: "orders", partition: b.assignment[0]!.partition, offset: 99 },
    ]);
    expect(commitCodes(stale)).toEqual([E.UNKNOWN_MEMBER_ID]);
    await c1.close();
  });

  it("model run: no violations", async () => {
    const report = await runModel({ seed: 3, steps: 100, manifest: await standIns().newManifestStore() });
    expect(report.violations).toEqual([]);
    expect(report.generations).toBeGreaterThan(1);
  });

  it("broker directory: distinct node ids for agents starting at once", async () => {
    const manifest = await standIns().newManifestStore();
    const clock = new FakeClock();
    const agents = [1, 2, 3].map(
      (i) =>
        new ManifestBrokerDirectory({
          manifest,
          clock,
          advertised: { host: "127.0.0.1", port: 9000 + i },
          timers: false,
        }),
    );
    await Promise.all(agents.map((a) => a.start()));
    expect(agents.map((a) => a.self().nodeId).sort()).toEqual([0, 1, 2]);
    await Promise.all(agents.map((a) => a.heartbeat()));
    expect((await agents[0]!.live()).map((b) => b.nodeId)).toEqual([0, 1, 2]);
    for (const a of agents) await a.close();
  });
});
