/**
 * The classic group coordinator over the in-memory manifest and a fake clock: the protocol flow
 * and every error code the brief names, one scenario each (Prepare / Act / Assess).
 */
import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { GroupCoordinator } from "../../functions/src/groups/group-coordinator.js";
import { itemBytes } from "../../functions/src/kafka/classic-state.js";
import { encodeAssignment, encodeSubscription } from "../../functions/src/kafka/consumer-protocol.js";
import { KafkaGroupError as E } from "../../functions/src/kafka/group-errors.js";
import {
  type ManifestItem,
  type ManifestStore,
  StoreUnavailableError,
  type WriteCondition,
} from "../../functions/src/ports/manifest-store.js";
import {
  commitCodes,
  driveUntil,
  fixedPartitions,
  joinInput,
  REBALANCE_MS,
  rebalance,
  SESSION_MS,
  settle,
  setup,
  TestMember,
} from "./classic-harness.js";

const COUNTS = new Map([["orders", 6]]);
const member = (id = "client") => new TestMember("grp", ["orders"], COUNTS, id);

describe("classic groups: join and sync", () => {
  it("a first v4+ join with an empty id gets MEMBER_ID_REQUIRED and the id; joining with it makes it leader", async () => {
    const s = setup();
    const c = s.coordinator();
    const first = await c.joinGroup(joinInput("grp", "", ["orders"]));
    expect(first.errorCode).toBe(E.MEMBER_ID_REQUIRED);
    expect(first.memberId).toMatch(/^client-/);
    const joined = await c.joinGroup(joinInput("grp", first.memberId, ["orders"]));
    expect(joined).toMatchObject({
      errorCode: E.NONE,
      generationId: 1,
      protocolType: "consumer",
      protocolName: "range",
      leader: first.memberId,
      memberId: first.memberId,
    });
    expect(joined.members.map((m) => m.memberId)).toEqual([first.memberId]);
  });

  it("a v3 join with an empty id is given an id at once", async () => {
    const s = setup();
    const out = await s.coordinator().joinGroup(joinInput("grp", "", ["orders"], { apiVersion: 3 }));
    expect(out.errorCode).toBe(E.NONE);
    expect(out.memberId).not.toBe("");
  });

  it("an unknown non-empty member id is UNKNOWN_MEMBER_ID", async () => {
    const s = setup();
    const out = await s.coordinator().joinGroup(joinInput("grp", "made-up", ["orders"]));
    expect(out.errorCode).toBe(E.UNKNOWN_MEMBER_ID);
  });

  it("the barrier waits for every known member to rejoin; the leader gets all metadata; followers wait for its sync", async () => {
    // Prepare: a stable group of one
    const s = setup();
    const c = s.coordinator();
    const a = member("a");
    const b = member("b");
    await rebalance(c, s.clock, [a]);
    expect(a.assignment).toHaveLength(6);
    // Act: b joins; a learns of the rebalance from its heartbeat
    const bJoin = b.join(c);
    await settle();
    expect((await a.heartbeat(c)).errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    let bDone = false;
    void bJoin.then(() => (bDone = true));
    await settle();
    expect(bDone).toBe(false); // still waiting for a
    const aJoin = a.join(c);
    await driveUntil(c, s.clock, [aJoin, bJoin]);
    // Assess: generation 2, b joined first so leads and sees both subscriptions
    expect(b.joined).toMatchObject({ errorCode: E.NONE, generationId: 2, leader: b.memberId });
    expect(b.joined!.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
    expect(a.joined!.members).toEqual([]);
    // the follower's sync waits for the leader's
    let aSynced = false;
    const aSync = a.sync(c).then((o) => {
      aSynced = true;
      return o;
    });
    await settle();
    expect(aSynced).toBe(false);
    expect((await a.heartbeat(c)).errorCode).toBe(E.NONE); // CompletingRebalance: heartbeats are fine
    await b.sync(c);
    expect((await aSync).errorCode).toBe(E.NONE);
    expect([...a.assignment, ...b.assignment].map((p) => p.partition).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(a.assignment).toHaveLength(3);
  });

  it("a member that does not rejoin within the rebalance timeout is dropped from the generation", async () => {
    const s = setup();
    const c = s.coordinator();
    const a = member("a");
    const b = member("b");
    await rebalance(c, s.clock, [a, b]);
    const generation = a.generation;
    // a rejoins with new metadata (forcing a rebalance); b never answers
    const aJoin = c.joinGroup(
      joinInput("grp", a.memberId, ["orders"], {
        protocols: [{ name: "range", metadata: encodeSubscription(["orders", "x"]) }],
      }),
    );
    await settle(); // the join is in the barrier before time moves
    // b's heartbeats keep it alive but it does not rejoin
    for (let t = 0; t < REBALANCE_MS; t += 2_000) {
      s.clock.advance(2_000);
      await b.heartbeat(c);
      await c.tick();
    }
    const out = await aJoin;
    expect(out).toMatchObject({ errorCode: E.NONE, generationId: generation + 1, leader: a.memberId });
    expect(out.members.map((m) => m.memberId)).toEqual([a.memberId]);
    expect((await b.heartbeat(c)).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
  });

  it("the barrier waits at most maxRebalanceTimeoutMs whatever timeout members ask for", async () => {
    const s = setup();
    const c = s.coordinator(0, { limits: { initialRebalanceDelayMs: 0, maxRebalanceTimeoutMs: 5_000 } });
    const a = member("a");
    const b = member("b");
    await rebalance(c, s.clock, [a, b]);
    const aJoin = c.joinGroup(
      joinInput("grp", a.memberId, ["orders"], {
        rebalanceTimeoutMs: 3_600_000,
        protocols: [{ name: "range", metadata: encodeSubscription(["orders", "x"]) }],
      }),
    );
    await settle();
    s.clock.advance(4_999);
    await c.tick();
    await settle();
    let done = false;
    void aJoin.then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    s.clock.advance(1);
    await c.tick();
    expect((await aJoin).members.map((m) => m.memberId)).toEqual([a.memberId]);
  });

  it("SyncGroup errors: unknown member, old generation, rebalance in progress, protocol mismatch", async () => {
    const s = setup();
    const c = s.coordinator();
    const a = member("a");
    await rebalance(c, s.clock, [a]);
    const sync = (extra: Record<string, unknown>) =>
      c.syncGroup({
        groupId: "grp",
        generationId: a.generation,
        memberId: a.memberId,
        groupInstanceId: null,
        protocolType: "consumer",
        protocolName: "range",
        assignments: [],
        ...extra,
      });
    expect((await sync({ memberId: "nobody" })).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect((await sync({ generationId: a.generation - 1 })).errorCode).toBe(E.ILLEGAL_GENERATION);
    expect((await sync({ protocolName: "roundrobin" })).errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    const stable = await sync({});
    expect(stable).toMatchObject({ errorCode: E.NONE, protocolType: "consumer", protocolName: "range" });
    void member("b").join(c);
    await settle();
    expect((await sync({})).errorCode).toBe(E.REBALANCE_IN_PROGRESS);
  });
});

describe("classic groups: heartbeats, sessions, leaving", () => {
  it("Heartbeat: NONE when stable, ILLEGAL_GENERATION for an old generation, UNKNOWN_MEMBER_ID for a stranger", async () => {
    const s = setup();
    const c = s.coordinator();
    const a = member("a");
    await rebalance(c, s.clock, [a]);
    expect((await a.heartbeat(c)).errorCode).toBe(E.NONE);
    const hb = (generationId: number, memberId: string) =>
      c.heartbeat({ groupId: "grp", generationId, memberId, groupInstanceId: null });
    expect((await hb(a.generation + 1, a.memberId)).errorCode).toBe(E.ILLEGAL_GENERATION);
    expect((await hb(a.generation, "stranger")).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    expect(
      (
        await hb(1, "x").then(() =>
          c.heartbeat({ groupId: "nogroup", generationId: 1, memberId: "x", groupInstanceId: null }),
        )
      ).errorCode,
    ).toBe(E.UNKNOWN_MEMBER_ID);
  });

  it("a member whose session ends is expired; the others are told to rejoin, and it gets UNKNOWN_MEMBER_ID", async () => {
    const s = setup();
    const c = s.coordinator();
    const a = member("a");
    const b = member("b");
    await rebalance(c, s.clock, [a, b]);
    // only a heartbeats
    for (let t = 0; t <= SESSION_MS; t += 2_000) {
      s.clock.advance(2_000);
      expect((await a.heartbeat(c)).errorCode).not.toBe(E.UNKNOWN_MEMBER_ID);
    }
    expect((await a.heartbeat(c)).errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    expect((await b.heartbeat(c)).errorCode).toBe(E.UNKNOWN_MEMBER_ID);
    await rebalance(c, s.clock, [a]);
    expect(a.assignment).toHaveLength(6);
  });

  it("heartbeats write the lease only once per half session", async () => {
    const manifest = new MemoryManifestStore();
    const s = setup(manifest);
    const c = s.coordinator();
    const a = member("a");
    await rebalance(c, s.clock, [a]);
    const before = manifest.stats.puts;
    for (let i = 0; i < 10; i++) {
      s.clock.advance(1_000);
      expect((await a.heartbeat(c)).errorCode).toBe(E.NONE);
    }
    // 10 s of heartbeats with a 10 s session: renewed at ~5 s and ~10 s
    expect(manifest.stats.puts - before).toBeLessThanOrEqual(2);
    expect(manifest.stats.puts - before).toBeGreaterThanOrEqual(1);
  });

  it("LeaveGroup v3+ removes a batch of members, answering per member", async () => {
    const s = setup();
    const c = s.coordinator();
    const [a, b, d] = [member("a"), member("b"), member("d")];
    await rebalance(c, s.clock, [a, b, d]);
    const out = await c.leaveGroup({
      groupId: "grp",
      members: [
        { memberId: a.memberId, groupInstanceId: null },
        { memberId: b.memberId, groupInstanceId: null },
        { memberId: "ghost", groupInstanceId: null },
      ],
    });
    expect(out.errorCode).toBe(E.NONE);
    expect(out.members.map((m) => m.errorCode)).toEqual([E.NONE, E.NONE, E.UNKNOWN_MEMBER_ID]);
    expect((await d.heartbeat(c)).errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    await rebalance(c, s.clock, [d]);
    expect(d.assignment).toHaveLength(6);
    const [described] = await c.describeGroups(["grp"]);
    expect(described!.members.map((m) => m.memberId)).toEqual([d.memberId]);
  });

  it("static members: a restart with the same group.instance.id takes the old place; the old id is fenced", async () => {
    const s = setup();
    const c = s.coordinator();
    const first = await c.joinGroup(joinInput("grp", "", ["orders"], { groupInstanceId: "pod-1" }));
    expect(first.errorCode).toBe(E.NONE); // static members get their id without MEMBER_ID_REQUIRED
    const restarted = await c.joinGroup(joinInput("grp", "", ["orders"], { groupInstanceId: "pod-1" }));
    expect(restarted.errorCode).toBe(E.NONE);
    expect(restarted.memberId).not.toBe(first.memberId);
    const old = await c.heartbeat({
      groupId: "grp",
      generationId: restarted.generationId,
      memberId: first.memberId,
      groupInstanceId: "pod-1",
    });
    expect(old.errorCode).toBe(E.FENCED_INSTANCE_ID);
    const [described] = await c.describeGroups(["grp"]);
    expect(described!.members).toHaveLength(1);
  });
});

describe("classic groups: offsets", () => {
  it("commits from the current generation land; old generation, unknown member and mid-rebalance are refused", async () => {
    const s = setup();
    const c = s.coordinator();
    const a = member("a");
    await rebalance(c, s.clock, [a]);
    expect(commitCodes(await a.commit(c, [{ topic: "orders", partition: 0, offset: 10 }]))).toEqual([E.NONE]);
    const old = await c.commitOffsets({
      groupId: "grp",
      generationId: a.generation - 1,
      memberId: a.memberId,
      groupInstanceId: null,
      topics: [
        { name: "orders", partitions: [{ partition: 0, offset: 99, leaderEpoch: -1, metadata: null }] },
      ],
    });
    expect(commitCodes(old)).toEqual([E.ILLEGAL_GENERATION]);
    const stranger = await c.commitOffsets({
      groupId: "grp",
      generationId: a.generation,
      memberId: "stranger",
      groupInstanceId: null,
      topics: [
        { name: "orders", partitions: [{ partition: 0, offset: 99, leaderEpoch: -1, metadata: null }] },
      ],
    });
    expect(commitCodes(stranger)).toEqual([E.UNKNOWN_MEMBER_ID]);
    // b joins: during PreparingRebalance a may still commit (eager clients commit on revocation)
    const b = member("b");
    const bJoin = b.join(c);
    await settle();
    expect(commitCodes(await a.commit(c, [{ topic: "orders", partition: 1, offset: 5 }]))).toEqual([E.NONE]);
    const aJoin = a.join(c);
    await driveUntil(c, s.clock, [aJoin, bJoin]);
    // CompletingRebalance: nobody has an assignment yet
    expect(commitCodes(await a.commit(c, [{ topic: "orders", partition: 1, offset: 6 }]))).toEqual([
      E.REBALANCE_IN_PROGRESS,
    ]);
    const fetched = await c.fetchOffsets({
      groupId: "grp",
      topics: [{ name: "orders", partitions: [0, 1, 2] }],
    });
    expect(fetched.topics[0]!.partitions.map((p) => p.offset)).toEqual([10, 5, -1]);
    const all = await c.fetchOffsets({ groupId: "grp", topics: null });
    expect(all.topics).toEqual([
      {
        name: "orders",
        partitions: [
          { partition: 0, offset: 10, leaderEpoch: -1, metadata: "", errorCode: E.NONE },
          { partition: 1, offset: 5, leaderEpoch: -1, metadata: "", errorCode: E.NONE },
        ],
      },
    ]);
  });

  it("simple commits (generation -1) are allowed only while the group has no members, and may move backwards", async () => {
    const s = setup();
    const c = s.coordinator();
    const simple = (offset: number) =>
      c.commitOffsets({
        groupId: "grp",
        generationId: -1,
        memberId: "",
        groupInstanceId: null,
        topics: [{ name: "orders", partitions: [{ partition: 0, offset, leaderEpoch: -1, metadata: null }] }],
      });
    expect(commitCodes(await simple(50))).toEqual([E.NONE]);
    expect(commitCodes(await simple(20))).toEqual([E.NONE]); // a reset tool moves it back
    const a = member("a");
    await rebalance(c, s.clock, [a]);
    expect(commitCodes(await simple(0))).toEqual([E.UNKNOWN_MEMBER_ID]);
    const fetched = await c.fetchOffsets({ groupId: "grp", topics: [{ name: "orders", partitions: [0] }] });
    expect(fetched.topics[0]!.partitions[0]!.offset).toBe(20);
    // member commits never move an offset backwards
    expect(commitCodes(await a.commit(c, [{ topic: "orders", partition: 0, offset: 10 }]))).toEqual([E.NONE]);
    const again = await c.fetchOffsets({ groupId: "grp", topics: [{ name: "orders", partitions: [0] }] });
    expect(again.topics[0]!.partitions[0]!.offset).toBe(20);
  });

  it("a zombie's commit paused between its checks and its write is fenced by the offset item's condition", async () => {
    // Prepare: a holds partition 0 at generation g; its commit is paused right before its write
    const gate = new GatedStore(new MemoryManifestStore());
    const s = setup(gate);
    const c = s.coordinator();
    const a = member("a");
    const b = member("b");
    await rebalance(c, s.clock, [a]);
    gate.pauseNextPut((item) => item.sk === "o#orders#0" && item.data.offset === 77);
    const zombie = a.commit(c, [{ topic: "orders", partition: 0, offset: 77 }]);
    await gate.paused;
    // Act: another coordinator instance (the first one "died" with the paused request) runs the
    // next generation: a is gone, b holds everything
    s.cluster.coordinator = 1;
    const c2 = s.coordinator(1);
    await c2.leaveGroup({ groupId: "grp", members: [{ memberId: a.memberId, groupInstanceId: null }] });
    await rebalance(c2, s.clock, [b]);
    expect(b.assignment.map((p) => p.partition)).toContain(0);
    gate.release();
    // Assess
    expect(commitCodes(await zombie)).toEqual([E.ILLEGAL_GENERATION]);
    const fetched = await c2.fetchOffsets({ groupId: "grp", topics: [{ name: "orders", partitions: [0] }] });
    expect(fetched.topics[0]!.partitions[0]!.offset).toBe(-1);
    expect(commitCodes(await b.commit(c2, [{ topic: "orders", partition: 0, offset: 3 }]))).toEqual([E.NONE]);
  });

  it("OffsetCommit per-partition errors: metadata too large, negative offset, unknown partition or topic name", async () => {
    const s = setup();
    const c = s.coordinator(0, { limits: { initialRebalanceDelayMs: 0, maxOffsetMetadataBytes: 8 } });
    const a = member("a");
    await rebalance(c, s.clock, [a]);
    const out = await c.commitOffsets({
      groupId: "grp",
      generationId: a.generation,
      memberId: a.memberId,
      groupInstanceId: null,
      topics: [
        {
          name: "orders",
          partitions: [
            { partition: 0, offset: 1, leaderEpoch: -1, metadata: "123456789" },
            { partition: 1, offset: -5, leaderEpoch: -1, metadata: null },
            { partition: 2, offset: 1, leaderEpoch: -1, metadata: "ok" },
            { partition: 6, offset: 1, leaderEpoch: -1, metadata: null },
          ],
        },
        { name: "bad#name", partitions: [{ partition: 0, offset: 1, leaderEpoch: -1, metadata: null }] },
      ],
    });
    expect(commitCodes(out)).toEqual([
      E.OFFSET_METADATA_TOO_LARGE,
      E.OFFSET_OUT_OF_RANGE,
      E.NONE,
      E.UNKNOWN_TOPIC_OR_PARTITION, // orders has 6 partitions
      E.UNKNOWN_TOPIC_OR_PARTITION,
    ]);
  });
});

describe("classic groups: admin", () => {
  it("DescribeGroups and ListGroups use Kafka's state names", async () => {
    const s = setup();
    const c = s.coordinator();
    const a = member("a");
    await rebalance(c, s.clock, [a]);
    const [d] = await c.describeGroups(["grp"]);
    expect(d).toMatchObject({
      errorCode: E.NONE,
      state: "Stable",
      protocolType: "consumer",
      protocolName: "range",
    });
    expect(d!.members[0]).toMatchObject({ memberId: a.memberId, clientId: "a", clientHost: "/127.0.0.1" });
    expect(d!.members[0]!.assignment.length).toBeGreaterThan(0);
    expect(await c.listGroups([])).toEqual([{ groupId: "grp", protocolType: "consumer", state: "Stable" }]);
    expect(await c.listGroups(["empty"])).toEqual([]);
    const [missing] = await c.describeGroups(["nope"]);
    expect(missing).toMatchObject({ errorCode: E.NONE, state: "Dead" });
    const [invalid] = await c.describeGroups(["bad#id"]);
    expect(invalid!.errorCode).toBe(E.INVALID_GROUP_ID);
  });

  it("DeleteGroups: NON_EMPTY_GROUP while members are live, then deletes the group and its offsets", async () => {
    const s = setup();
    const c = s.coordinator();
    const a = member("a");
    await rebalance(c, s.clock, [a]);
    await a.commit(c, [{ topic: "orders", partition: 0, offset: 4 }]);
    expect(await c.deleteGroups(["grp", "nope"])).toEqual([
      { groupId: "grp", errorCode: E.NON_EMPTY_GROUP },
      { groupId: "nope", errorCode: E.GROUP_ID_NOT_FOUND },
    ]);
    await c.leaveGroup({ groupId: "grp", members: [{ memberId: a.memberId, groupInstanceId: null }] });
    expect(await c.deleteGroups(["grp"])).toEqual([{ groupId: "grp", errorCode: E.NONE }]);
    const fetched = await c.fetchOffsets({ groupId: "grp", topics: [{ name: "orders", partitions: [0] }] });
    expect(fetched.topics[0]!.partitions[0]!.offset).toBe(-1);
    expect(await c.listGroups([])).toEqual([]);
    // the old member's commit finds nobody
    expect(commitCodes(await a.commit(c, [{ topic: "orders", partition: 0, offset: 9 }]))).toEqual([
      E.UNKNOWN_MEMBER_ID,
    ]);
  });

  it("OffsetDelete: GROUP_SUBSCRIBED_TO_TOPIC for topics the live members subscribe to; others deleted", async () => {
    const s = setup();
    const c = s.coordinator();
    const a = member("a");
    await rebalance(c, s.clock, [a]);
    await a.commit(c, [
      { topic: "orders", partition: 0, offset: 4 },
      { topic: "old", partition: 0, offset: 2 },
    ]);
    const out = await c.deleteOffsets("grp", [
      { name: "orders", partitions: [0] },
      { name: "old", partitions: [0] },
    ]);
    expect(out).toEqual({
      errorCode: E.NONE,
      topics: [
        { name: "orders", partitions: [{ partition: 0, errorCode: E.GROUP_SUBSCRIBED_TO_TOPIC }] },
        { name: "old", partitions: [{ partition: 0, errorCode: E.NONE }] },
      ],
    });
    const fetched = await c.fetchOffsets({ groupId: "grp", topics: null });
    expect(fetched.topics.map((t) => t.name)).toEqual(["orders"]);
    expect((await c.deleteOffsets("nope", [{ name: "orders", partitions: [0] }])).errorCode).toBe(
      E.GROUP_ID_NOT_FOUND,
    );
  });

  it("groups past the per-request bound of DescribeGroups / DeleteGroups answer INVALID_REQUEST", async () => {
    const s = setup();
    const c = s.coordinator(0, { limits: { initialRebalanceDelayMs: 0, maxGroupsPerRequest: 2 } });
    const described = await c.describeGroups(["g1", "g2", "g3"]);
    expect(described.map((d) => d.errorCode)).toEqual([E.NONE, E.NONE, E.INVALID_REQUEST]);
    const deleted = await c.deleteGroups(["g1", "g2", "g3"]);
    expect(deleted.map((d) => d.errorCode)).toEqual([
      E.GROUP_ID_NOT_FOUND,
      E.GROUP_ID_NOT_FOUND,
      E.INVALID_REQUEST,
    ]);
  });

  it("NOT_COORDINATOR from an agent the directory does not name for the group", async () => {
    const s = setup();
    const other = s.coordinator(1);
    expect((await other.joinGroup(joinInput("grp", "", ["orders"]))).errorCode).toBe(E.NOT_COORDINATOR);
    expect(
      (await other.heartbeat({ groupId: "grp", generationId: 1, memberId: "m", groupInstanceId: null }))
        .errorCode,
    ).toBe(E.NOT_COORDINATOR);
    expect((await other.fetchOffsets({ groupId: "grp", topics: null })).errorCode).toBe(E.NOT_COORDINATOR);
    expect(await other.deleteGroups(["grp"])).toEqual([{ groupId: "grp", errorCode: E.NOT_COORDINATOR }]);
  });
});

describe("classic groups: protocols and limits", () => {
  it("INCONSISTENT_GROUP_PROTOCOL for another protocol type, no common assignor, or a live HTTP-protocol group", async () => {
    const s = setup();
    const c = s.coordinator();
    const a = member("a");
    await rebalance(c, s.clock, [a]);
    const other = await c.joinGroup(
      joinInput("grp", "", ["orders"], { protocolType: "connect", apiVersion: 3 }),
    );
    expect(other.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    const noCommon = await c.joinGroup(
      joinInput("grp", "", ["orders"], {
        apiVersion: 3,
        protocols: [{ name: "roundrobin", metadata: encodeSubscription(["orders"]) }],
      }),
    );
    expect(noCommon.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    // an HTTP-protocol group with a live member under another id blocks classic joins of that id
    const http = new GroupCoordinator({
      manifest: s.manifest,
      clock: s.clock,
      partitions: fixedPartitions(6),
    });
    await http.join("httpgrp", { topics: ["orders"] });
    const blocked = await c.joinGroup(joinInput("httpgrp", "", ["orders"], { apiVersion: 3 }));
    expect(blocked.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    expect(await c.listGroups([])).toContainEqual({ groupId: "httpgrp", protocolType: "", state: "Stable" });
    const [described] = await c.describeGroups(["httpgrp"]);
    expect(described).toMatchObject({ errorCode: E.NONE, state: "Stable", protocolType: "", members: [] });
  });

  it("INVALID_SESSION_TIMEOUT and INVALID_GROUP_ID", async () => {
    const s = setup();
    const c = s.coordinator();
    expect((await c.joinGroup(joinInput("grp", "", ["orders"], { sessionTimeoutMs: 10 }))).errorCode).toBe(
      E.INVALID_SESSION_TIMEOUT,
    );
    expect((await c.joinGroup(joinInput("", "", ["orders"]))).errorCode).toBe(E.INVALID_GROUP_ID);
    expect((await c.joinGroup(joinInput("a#b", "", ["orders"]))).errorCode).toBe(E.INVALID_GROUP_ID);
  });

  it("byte budgets: metadata past the per-member bound, members past the item bound, assignments past theirs", async () => {
    const s = setup();
    const limits = {
      initialRebalanceDelayMs: 0,
      maxMemberMetadataBytes: 1_000,
      maxAssignmentBytes: 500,
      maxItemBytes: 6_000,
    };
    const c = s.coordinator(0, { limits });
    const meta = (n: number) => [{ name: "range", metadata: new Uint8Array(n) }];
    // at the bound: accepted; one byte over: MESSAGE_TOO_LARGE
    const atBound = await c.joinGroup(
      joinInput("grp", "", [], { apiVersion: 3, protocols: meta(1_000 - "range".length) }),
    );
    expect(atBound.errorCode).toBe(E.NONE);
    const over = await c.joinGroup(
      joinInput("grp2", "", [], { apiVersion: 3, protocols: meta(1_001 - "range".length) }),
    );
    expect(over.errorCode).toBe(E.MESSAGE_TOO_LARGE);
    // members whose metadata together outgrow the item: GROUP_MAX_SIZE_REACHED for those past it
    const joins = Array.from({ length: 6 }, () =>
      c.joinGroup(joinInput("big", "", [], { apiVersion: 3, protocols: meta(900) })),
    );
    await driveUntil(c, s.clock, joins);
    const codes = (await Promise.all(joins)).map((o) => o.errorCode);
    expect(codes.filter((x) => x === E.GROUP_MAX_SIZE_REACHED).length).toBeGreaterThan(0);
    expect(codes.filter((x) => x === E.NONE).length).toBeGreaterThan(1);
    expect(codes.every((x) => x === E.NONE || x === E.GROUP_MAX_SIZE_REACHED)).toBe(true);
    const item = await s.manifest.get("g#big", "classic");
    expect(itemBytes(item!)).toBeLessThanOrEqual(limits.maxItemBytes);
    // an assignment past its bound fails the leader's sync
    const leader = await c.joinGroup(joinInput("asg", "", ["orders"], { apiVersion: 3 }));
    const sync = await c.syncGroup({
      groupId: "asg",
      generationId: leader.generationId,
      memberId: leader.memberId,
      groupInstanceId: null,
      protocolType: "consumer",
      protocolName: "range",
      assignments: [{ memberId: leader.memberId, assignment: new Uint8Array(501) }],
    });
    expect(sync.errorCode).toBe(E.MESSAGE_TOO_LARGE);
    const ok = await c.syncGroup({
      groupId: "asg",
      generationId: leader.generationId,
      memberId: leader.memberId,
      groupInstanceId: null,
      protocolType: "consumer",
      protocolName: "range",
      assignments: [{ memberId: leader.memberId, assignment: new Uint8Array(500) }],
    });
    expect(ok.errorCode).toBe(E.NONE);
  });

  it("GROUP_MAX_SIZE_REACHED past maxMembers (pending ids count)", async () => {
    const s = setup();
    const c = s.coordinator(0, { limits: { initialRebalanceDelayMs: 0, maxMembers: 2 } });
    expect((await c.joinGroup(joinInput("grp", "", ["orders"]))).errorCode).toBe(E.MEMBER_ID_REQUIRED);
    expect((await c.joinGroup(joinInput("grp", "", ["orders"]))).errorCode).toBe(E.MEMBER_ID_REQUIRED);
    expect((await c.joinGroup(joinInput("grp", "", ["orders"]))).errorCode).toBe(E.GROUP_MAX_SIZE_REACHED);
  });

  it("cooperative rebalancing: members keep their partitions across generations; only moved ones are fenced", async () => {
    // Prepare: a holds all six partitions; the "assignor" in this test is cooperative: it first
    // revokes what moves (generation n+1), and members rejoin at once for a second rebalance (n+2)
    const manifest = new MemoryManifestStore();
    const s = setup(manifest);
    const c = s.coordinator();
    const a = member("a");
    await rebalance(c, s.clock, [a]);
    const gen1 = a.generation;
    const b = member("b");
    // a keeps 0-2 in both rounds; 3-5 are unassigned in round 1 (revoked) and b's in round 2
    const cooperative = (joined: { memberId: string }[], round: 1 | 2, keeper: string) =>
      joined.map((m) => ({
        memberId: m.memberId,
        assignment: encodeAssignment(
          new Map([["orders", m.memberId === keeper ? [0, 1, 2] : round === 1 ? [] : [3, 4, 5]]]),
        ),
      }));
    // round 1: b joins and leads; a learns from its heartbeat, rejoins, keeps 0-2 and gives up 3-5
    const bJoin = b.join(c);
    await settle();
    expect((await a.heartbeat(c)).errorCode).toBe(E.REBALANCE_IN_PROGRESS);
    const aJoin = a.join(c);
    await driveUntil(c, s.clock, [aJoin, bJoin]);
    expect(b.joined!.leader).toBe(b.memberId);
    const putsBefore = manifest.stats.puts;
    const sync = (m: TestMember, assignments: { memberId: string; assignment: Uint8Array }[]) =>
      c.syncGroup({
        groupId: "grp",
        generationId: m.generation,
        memberId: m.memberId,
        groupInstanceId: null,
        protocolType: "consumer",
        protocolName: "range",
        assignments,
      });
    const [s1a, s1b] = await Promise.all([
      sync(a, []),
      sync(b, cooperative(b.joined!.members, 1, a.memberId)),
    ]);
    expect([s1a.errorCode, s1b.errorCode]).toEqual([E.NONE, E.NONE]);
    // a kept 0-2 (no fence writes for them: they were a's already), so this sync wrote only the state
    expect(manifest.stats.puts - putsBefore).toBe(1);
    // a commits the revoked partitions at its current generation, then both rejoin
    expect(commitCodes(await a.commit(c, [{ topic: "orders", partition: 3, offset: 30 }]))).toEqual([E.NONE]);
    // their subscriptions now name what they own, so the rejoin is a real rebalance
    a.userData = new Uint8Array([0, 1, 2]);
    b.userData = new Uint8Array([9]);
    const [j2a, j2b] = [a.join(c), b.join(c)];
    await driveUntil(c, s.clock, [j2a, j2b]);
    expect(a.generation).toBe(gen1 + 2);
    const putsRound2 = manifest.stats.puts;
    const leader2 = a.joined!.leader === a.memberId ? a : b;
    const [s2a, s2b] = await Promise.all([
      sync(a, leader2 === a ? cooperative(a.joined!.members, 2, a.memberId) : []),
      sync(b, leader2 === b ? cooperative(b.joined!.members, 2, a.memberId) : []),
    ]);
    expect([s2a.errorCode, s2b.errorCode]).toEqual([E.NONE, E.NONE]);
    // 3 fences for 3-5 moving to b, plus the state
    expect(manifest.stats.puts - putsRound2).toBe(4);
    // a's commit from generation n+1 on partition 3 is now fenced; b's lands
    const stale = await c.commitOffsets({
      groupId: "grp",
      generationId: gen1 + 1,
      memberId: a.memberId,
      groupInstanceId: null,
      topics: [
        { name: "orders", partitions: [{ partition: 3, offset: 31, leaderEpoch: -1, metadata: null }] },
      ],
    });
    expect(commitCodes(stale)).toEqual([E.ILLEGAL_GENERATION]);
    expect(commitCodes(await b.commit(c, [{ topic: "orders", partition: 3, offset: 35 }]))).toEqual([E.NONE]);
    expect(commitCodes(await a.commit(c, [{ topic: "orders", partition: 0, offset: 1 }]))).toEqual([E.NONE]);
  });

  it("a store outage answers COORDINATOR_NOT_AVAILABLE (retriable) to every request, never throws", async () => {
    const broken: ManifestStore = {
      get: () => Promise.reject(new StoreUnavailableError("down")),
      put: () => Promise.reject(new StoreUnavailableError("down")),
      delete: () => Promise.reject(new StoreUnavailableError("down")),
      query: () => Promise.reject(new StoreUnavailableError("down")),
    };
    const s = setup(broken);
    const c = s.coordinator();
    expect((await c.joinGroup(joinInput("grp", "", ["orders"]))).errorCode).toBe(E.COORDINATOR_NOT_AVAILABLE);
    expect(
      (await c.heartbeat({ groupId: "grp", generationId: 1, memberId: "m", groupInstanceId: null }))
        .errorCode,
    ).toBe(E.COORDINATOR_NOT_AVAILABLE);
    const commit = await c.commitOffsets({
      groupId: "grp",
      generationId: 1,
      memberId: "m",
      groupInstanceId: null,
      topics: [
        { name: "orders", partitions: [{ partition: 0, offset: 1, leaderEpoch: -1, metadata: null }] },
      ],
    });
    expect(commitCodes(commit)).toEqual([E.COORDINATOR_NOT_AVAILABLE]);
    expect((await c.fetchOffsets({ groupId: "grp", topics: null })).errorCode).toBe(
      E.COORDINATOR_NOT_AVAILABLE,
    );
    expect((await c.describeGroups(["grp"]))[0]!.errorCode).toBe(E.COORDINATOR_NOT_AVAILABLE);
    expect((await c.deleteGroups(["grp"]))[0]!.errorCode).toBe(E.COORDINATOR_NOT_AVAILABLE);
    expect((await c.deleteOffsets("grp", [{ name: "orders", partitions: [0] }])).errorCode).toBe(
      E.COORDINATOR_NOT_AVAILABLE,
    );
    expect(
      (await c.leaveGroup({ groupId: "grp", members: [{ memberId: "m", groupInstanceId: null }] })).errorCode,
    ).toBe(E.COORDINATOR_NOT_AVAILABLE);
  });

  it("close answers waiting requests NOT_COORDINATOR so members look for the next coordinator", async () => {
    const s = setup();
    const c = s.coordinator();
    const a = member("a");
    const b = member("b");
    await rebalance(c, s.clock, [a, b]);
    const waiting = c.joinGroup(
      joinInput("grp", a.memberId, ["orders"], {
        protocols: [{ name: "range", metadata: encodeSubscription(["x"]) }],
      }),
    );
    await settle();
    await c.close();
    expect((await waiting).errorCode).toBe(E.NOT_COORDINATOR);
  });
});

/** Pauses one chosen put before it reaches the store, until released. */
class GatedStore implements ManifestStore {
  private match: ((item: ManifestItem) => boolean) | undefined;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private reached: (() => void) | undefined;
  paused: Promise<void> = Promise.resolve();

  constructor(private readonly inner: ManifestStore) {}

  pauseNextPut(match: (item: ManifestItem) => boolean): void {
    this.match = match;
    this.gate = new Promise((r) => (this.open = r));
    this.paused = new Promise((r) => (this.reached = r));
  }

  release(): void {
    this.open?.();
  }

  get(pk: string, sk: string) {
    return this.inner.get(pk, sk);
  }

  async put(item: ManifestItem, condition: WriteCondition) {
    if (this.match?.(item)) {
      this.match = undefined;
      this.reached?.();
      await this.gate;
    }
    return this.inner.put(item, condition);
  }

  delete(pk: string, sk: string, condition?: WriteCondition) {
    return this.inner.delete(pk, sk, condition);
  }

  query(pk: string, options?: Parameters<ManifestStore["query"]>[1]) {
    return this.inner.query(pk, options);
  }
}
