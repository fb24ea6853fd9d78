/**
 * Test support for the classic group coordinator: a directory whose coordinator the test chooses,
 * coordinators over one manifest and a fake clock, and a member that speaks the client side of
 * the protocol the way kafkajs / librdkafka do (join with MEMBER_ID_REQUIRED, the leader runs a
 * range assignor over the members' subscriptions, sync, heartbeat, rejoin on REBALANCE_IN_PROGRESS).
 */
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import {
  ClassicGroupCoordinator,
  type ClassicGroupsOptions,
} from "../../functions/src/kafka/classic-groups.js";
import {
  assignedPartitions,
  encodeAssignment,
  encodeSubscription,
  subscribedTopics,
} from "../../functions/src/kafka/consumer-protocol.js";
import { KafkaGroupError as E } from "../../functions/src/kafka/group-errors.js";
import type {
  BrokerDirectory,
  BrokerInfo,
  JoinGroupOutput,
  SyncGroupOutput,
} from "../../functions/src/kafka/group-port.js";
import type { ManifestStore } from "../../functions/src/ports/manifest-store.js";
import { FakeClock } from "../support/fake-clock.js";

/** Which node coordinates every group: one variable the test flips to simulate failover. */
export class Cluster {
  coordinator = 0;
  brokers(): BrokerInfo[] {
    return [0, 1, 2].map((nodeId) => ({ nodeId, host: "127.0.0.1", port: 9092 + nodeId }));
  }
  directory(nodeId: number): BrokerDirectory {
    const self = this.brokers()[nodeId]!;
    return {
      self: () => self,
      live: async () => this.brokers(),
      coordinatorFor: async () => this.brokers()[this.coordinator]!,
      leaderFor: async () => self,
      start: async () => {},
      close: async () => {},
    };
  }
}

export interface Setup {
  clock: FakeClock;
  manifest: ManifestStore;
  cluster: Cluster;
  /** A coordinator as agent `nodeId` (all share the manifest). */
  coordinator(nodeId?: number, extra?: Partial<ClassicGroupsOptions>): ClassicGroupCoordinator;
}

export function setup(manifest: ManifestStore = new MemoryManifestStore(), clock = new FakeClock()): Setup {
  const cluster = new Cluster();
  let ids = 0;
  return {
    clock,
    manifest,
    cluster,
    coordinator: (nodeId = 0, extra = {}) =>
      new ClassicGroupCoordinator({
        manifest,
        clock,
        directory: cluster.directory(nodeId),
        timers: false,
        newId: (clientId) => `${clientId}-${++ids}`,
        partitions: fixedPartitions(6),
        limits: { initialRebalanceDelayMs: 0 },
        ...extra,
      }),
  };
}

/** Lets queued promise continuations (and the in-memory store's yields) run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r));
}

export const SESSION_MS = 10_000;
export const REBALANCE_MS = 20_000;

export function joinInput(
  groupId: string,
  memberId: string,
  topics: string[],
  extra: Record<string, unknown> = {},
) {
  return {
    groupId,
    memberId,
    groupInstanceId: null,
    protocolType: "consumer",
    protocols: [{ name: "range", metadata: encodeSubscription(topics) }],
    sessionTimeoutMs: SESSION_MS,
    rebalanceTimeoutMs: REBALANCE_MS,
    clientId: "client",
    clientHost: "/127.0.0.1",
    apiVersion: 5,
    ...extra,
  };
}

/** Kafka's range assignor: per topic, consecutive partitions to members sorted by id. */
export function rangeAssign(
  members: JoinGroupOutput["members"],
  partitionCounts: Map<string, number>,
): Map<string, Map<string, number[]>> {
  const out = new Map<string, Map<string, number[]>>(members.map((m) => [m.memberId, new Map()]));
  const topics = new Set<string>();
  const subs = new Map(members.map((m) => [m.memberId, new Set(subscribedTopics(m.metadata) ?? [])]));
  for (const s of subs.values()) for (const t of s) topics.add(t);
  for (const topic of [...topics].sort()) {
    const subscribers = members
      .map((m) => m.memberId)
      .filter((id) => subs.get(id)!.has(topic))
      .sort();
    const n = partitionCounts.get(topic) ?? 0;
    const per = Math.floor(n / subscribers.length);
    const extra = n % subscribers.length;
    let next = 0;
    subscribers.forEach((id, i) => {
      const count = per + (i < extra ? 1 : 0);
      const ps = Array.from({ length: count }, (_, k) => next + k);
      next += count;
      if (ps.length > 0) out.get(id)!.set(topic, ps);
    });
  }
  return out;
}

/**
 * One consumer's protocol state, stepped by the test. `run()` performs the next protocol step
 * against whichever coordinator the test hands it and reports what happened.
 */
export class TestMember {
  memberId = "";
  generation = -1;
  assignment: { topic: string; partition: number }[] = [];
  joined: JoinGroupOutput | undefined;
  /** Sent in the subscription (cooperative clients put their owned partitions there). */
  userData = new Uint8Array();

  constructor(
    readonly groupId: string,
    readonly topics: string[],
    readonly partitionCounts: Map<string, number>,
    readonly clientId = "client",
  ) {}

  /** JoinGroup until it gets a generation (handles MEMBER_ID_REQUIRED); resolves when the barrier does. */
  async join(c: ClassicGroupCoordinator): Promise<JoinGroupOutput> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const out = await c.joinGroup(
        joinInput(this.groupId, this.memberId, this.topics, {
          clientId: this.clientId,
          protocols: [{ name: "range", metadata: encodeSubscription(this.topics, this.userData) }],
        }),
      );
      if (out.errorCode === E.MEMBER_ID_REQUIRED) {
        this.memberId = out.memberId;
        continue;
      }
      if (out.errorCode === E.UNKNOWN_MEMBER_ID) {
        this.memberId = "";
        continue;
      }
      this.joined = out;
      if (out.errorCode === E.NONE) this.generation = out.generationId;
      return out;
    }
    throw new Error("join kept failing");
  }

  /** SyncGroup; the leader computes and sends the range assignment. */
  async sync(c: ClassicGroupCoordinator): Promise<SyncGroupOutput> {
    const joined = this.joined!;
    const assignments =
      joined.leader === this.memberId
        ? [...rangeAssign(joined.members, this.partitionCounts)].map(([memberId, parts]) => ({
            memberId,
            assignment: encodeAssignment(parts),
          }))
        : [];
    const out = await c.syncGroup({
      groupId: this.groupId,
      generationId: this.generation,
      memberId: this.memberId,
      groupInstanceId: null,
      protocolType: "consumer",
      protocolName: joined.protocolName,
      assignments,
    });
    if (out.errorCode === E.NONE) this.assignment = assignedPartitions(out.assignment) ?? [];
    else this.assignment = [];
    return out;
  }

  heartbeat(c: ClassicGroupCoordinator) {
    return c.heartbeat({
      groupId: this.groupId,
      generationId: this.generation,
      memberId: this.memberId,
      groupInstanceId: null,
    });
  }

  commit(c: ClassicGroupCoordinator, offsets: { topic: string; partition: number; offset: number }[]) {
    return c.commitOffsets({
      groupId: this.groupId,
      generationId: this.generation,
      memberId: this.memberId,
      groupInstanceId: null,
      topics: [...new Set(offsets.map((o) => o.topic))].map((name) => ({
        name,
        partitions: offsets
          .filter((o) => o.topic === name)
          .map((o) => ({ partition: o.partition, offset: o.offset, leaderEpoch: -1, metadata: null })),
      })),
    });
  }
}

/** Flattened per-partition codes of a commit answer. */
export function commitCodes(out: { topics: { partitions: { errorCode: number }[] }[] }): number[] {
  return out.topics.flatMap((t) => t.partitions.map((p) => p.errorCode));
}

/**
 * Runs join + sync for every member at once (ticking the coordinator until all joins return),
 * as a group of clients does after a rebalance starts.
 */
export async function rebalance(
  c: ClassicGroupCoordinator,
  clock: FakeClock,
  members: TestMember[],
): Promise<void> {
  const joins = members.map((m) => m.join(c));
  await driveUntil(c, clock, joins);
  const syncs = members.filter((m) => m.joined?.errorCode === E.NONE).map((m) => m.sync(c));
  await driveUntil(c, clock, syncs);
}

/** Ticks (advancing the fake clock a little each time) until every promise settled. */
export async function driveUntil(
  c: ClassicGroupCoordinator,
  clock: FakeClock,
  promises: Promise<unknown>[],
  stepMs = 100,
  maxSteps = 1_000,
): Promise<void> {
  let done = 0;
  for (const p of promises) p.finally(() => done++).catch(() => {});
  for (let i = 0; i < maxSteps && done < promises.length; i++) {
    await settle();
    if (done >= promises.length) break;
    clock.advance(stepMs);
    await c.tick();
  }
  await Promise.all(promises);
}

/**
 * A PartitionDirectory of topics that all exist with `count` partitions (for the HTTP coordinator
 * in tests). `topicIds` is there for the directory's incarnation-aware version; the return type is
 * inferred, so this fits the interface with or without it.
 */
export function fixedPartitions(count: number, highWatermark = 0) {
  return {
    partitionCounts: async (topics: readonly string[]) => new Map(topics.map((t) => [t, count])),
    topicIds: async (topics: readonly string[]) => new Map(topics.map((t) => [t, `${t}-id`])),
    tail: async () => ({ highWatermark, logStartOffset: 0 }),
    offsetForTimestamp: async () => 0,
  };
}

export { FakeClock };
