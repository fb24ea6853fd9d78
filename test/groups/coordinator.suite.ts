/**
 * The coordinator against one ManifestStore: the protocol step by step, then many members joining,
 * leaving, crashing and coming back as zombies, judged by the checker. Called once per back end
 * (in memory, dynalite), so the same conditional writes are proven on both.
 */
import { describe, expect, it } from "vitest";
import { FloeError } from "../../client/src/errors.js";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import { appendFromBatches } from "../../functions/src/engine/batch-validation.js";
import { FloeLog } from "../../functions/src/engine/log.js";
import type { TopicPartition } from "../../functions/src/groups/assignment.js";
import { GroupCoordinator } from "../../functions/src/groups/group-coordinator.js";
import { logPartitionDirectory } from "../../functions/src/groups/partition-directory.js";
import type {
  ItemData,
  ManifestItem,
  ManifestStore,
  QueryOptions,
  WriteCondition,
} from "../../functions/src/ports/manifest-store.js";
import { batchOf } from "../support/engine-harness.js";
import { FakeClock } from "../support/fake-clock.js";
import { CountingManifestStore } from "../support/faults.js";
import { checkGroupHistory, formatGroupReport } from "./group-checker.js";
import { type ChurnScript, GroupWorld } from "./group-harness.js";

const TIMEOUT = 3_000;

async function fixture(manifest: ManifestStore, partitions = 4) {
  const clock = new FakeClock();
  const log = new FloeLog({ manifest, objects: new MemoryObjectStore(), clock });
  let n = 0;
  const coordinator = new GroupCoordinator({
    manifest,
    clock,
    partitions: logPartitionDirectory(log),
    newId: () => `member-${++n}`,
  });
  const topic = await log.topics.create("orders", partitions);
  const produce = async (partition: number, values: string[], timestamp = clock.now()) => {
    const [outcome] = await log.append([appendFromBatches(topic, partition, batchOf(values, timestamp))]);
    if (!outcome?.ok) throw new Error("append failed");
  };
  return { clock, log, coordinator, produce };
}

async function failure(promise: Promise<unknown>): Promise<FloeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FloeError) return error;
    throw error;
  }
  throw new Error("expected a FloeError");
}

function diff<T extends Record<string, number>>(after: T, before: T): T {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)])) as T;
}

const sorted = (tps: readonly TopicPartition[]) => tps.map((tp) => tp.partition).sort((a, b) => a - b);

export interface SuiteOptions {
  /** Size of the churn run (smaller over slow back ends). */
  rounds: number;
  partitions: number;
  recordsPerPartition: number;
  /** Run the canary (once per suite run is enough: it tests the checker, not the store). */
  canary: boolean;
}

export function coordinatorSuite(
  backEnd: string,
  newManifest: () => Promise<ManifestStore>,
  options: SuiteOptions,
): void {
  describe(`group coordinator over ${backEnd}`, () => {
    it("hands a partition to a newcomer only after its holder released it in a heartbeat", async () => {
      // Prepare
      const { coordinator } = await fixture(await newManifest());
      const a = await coordinator.join("g", { topics: ["orders"], sessionTimeoutMs: TIMEOUT });
      // Act
      const b = await coordinator.join("g", { topics: ["orders"], sessionTimeoutMs: TIMEOUT });
      const aTold = await coordinator.heartbeat("g", a.memberId, {
        generation: a.generation,
        owned: a.assignment,
      });
      const bBefore = await coordinator.heartbeat("g", b.memberId, { generation: b.generation, owned: [] });
      const aReleased = await coordinator.heartbeat("g", a.memberId, {
        generation: aTold.generation,
        owned: aTold.assignment,
      });
      const bAfter = await coordinator.heartbeat("g", b.memberId, {
        generation: bBefore.generation,
        owned: [],
      });
      // Assess
      expect(sorted(a.assignment)).toEqual([0, 1, 2, 3]);
      expect(b.assignment).toEqual([]);
      expect(aTold.assignment).toHaveLength(2);
      expect(aTold.generation).toBeGreaterThan(a.generation);
      expect(bBefore.assignment).toEqual([]);
      expect(sorted(aReleased.assignment)).toEqual(sorted(aTold.assignment));
      expect(sorted([...aReleased.assignment, ...bAfter.assignment])).toEqual([0, 1, 2, 3]);
      expect(bAfter.generation).toBeGreaterThan(bBefore.generation);
    });

    it("commits only for the holder at its generation, and never moves an offset backwards", async () => {
      // Prepare
      const { coordinator } = await fixture(await newManifest(), 1);
      const a = await coordinator.join("g", { topics: ["orders"], sessionTimeoutMs: TIMEOUT });
      const p0 = { topic: "orders", partition: 0 };
      // Act
      const first = await coordinator.commit("g", {
        memberId: a.memberId,
        generation: a.generation,
        offsets: [{ ...p0, offset: 10, metadata: "m" }],
      });
      const backwards = await coordinator.commit("g", {
        memberId: a.memberId,
        generation: a.generation,
        offsets: [{ ...p0, offset: 4 }],
      });
      const future = await failure(
        coordinator.commit("g", {
          memberId: a.memberId,
          generation: a.generation + 1,
          offsets: [{ ...p0, offset: 12 }],
        }),
      );
      const stranger = await failure(
        coordinator.commit("g", {
          memberId: "nobody",
          generation: a.generation,
          offsets: [{ ...p0, offset: 12 }],
        }),
      );
      const b = await coordinator.join("g", { topics: ["orders"], sessionTimeoutMs: TIMEOUT });
      const notHeld = await failure(
        coordinator.commit("g", {
          memberId: b.memberId,
          generation: b.generation,
          offsets: [{ ...p0, offset: 12 }],
        }),
      );
      // Assess
      expect(first).toEqual([{ ...p0, offset: 10, metadata: "m" }]);
      expect(backwards).toEqual([{ ...p0, offset: 10, metadata: "m" }]);
      for (const e of [future, stranger, notHeld]) expect(e.code).toBe("stale_generation");
      expect(await coordinator.fetchOffsets("g")).toEqual([{ ...p0, offset: 10, metadata: "m" }]);
    });

    it("rejects a zombie's commit once its lease ended and its partition moved, leaving the offset alone", async () => {
      // Prepare
      const { coordinator, clock } = await fixture(await newManifest(), 1);
      const p0 = { topic: "orders", partition: 0 };
      const zombie = await coordinator.join("g", { topics: ["orders"], sessionTimeoutMs: TIMEOUT });
      await coordinator.commit("g", {
        memberId: zombie.memberId,
        generation: zombie.generation,
        offsets: [{ ...p0, offset: 5 }],
      });
      clock.advance(TIMEOUT - 1_000);
      const next = await coordinator.join("g", { topics: ["orders"], sessionTimeoutMs: TIMEOUT });
      clock.advance(1_001);
      const beat = await coordinator.heartbeat("g", next.memberId, {
        generation: next.generation,
        owned: [],
      });
      await coordinator.commit("g", {
        memberId: next.memberId,
        generation: beat.generation,
        offsets: [{ ...p0, offset: 7 }],
      });
      // Act
      const rejected = await failure(
        coordinator.commit("g", {
          memberId: zombie.memberId,
          generation: zombie.generation,
          offsets: [{ ...p0, offset: 99 }],
        }),
      );
      const heartbeat = await failure(
        coordinator.heartbeat("g", zombie.memberId, { generation: zombie.generation, owned: [p0] }),
      );
      // Assess
      expect(sorted(beat.assignment)).toEqual([0]);
      expect(rejected.code).toBe("stale_generation");
      expect(heartbeat.code).toBe("member_not_found");
      expect((await coordinator.fetchOffsets("g"))[0]!.offset).toBe(7);
    });

    it("fences a commit whose state check passed before its partition was handed over", async () => {
      // Prepare: A holds p0; a commit of A's reads everything, then stalls before its write.
      const manifest = await newManifest();
      const gate = new GatedOffsetWrites(manifest);
      const { coordinator, clock } = await fixture(gate, 1);
      const p0 = { topic: "orders", partition: 0 };
      const a = await coordinator.join("g", { topics: ["orders"], sessionTimeoutMs: TIMEOUT });
      clock.advance(TIMEOUT - 1_000);
      const b = await coordinator.join("g", { topics: ["orders"], sessionTimeoutMs: TIMEOUT });
      const stalled = gate.holdNextOffsetWrite();
      const zombieCommit = failure(
        coordinator.commit("g", {
          memberId: a.memberId,
          generation: a.generation,
          offsets: [{ ...p0, offset: 50 }],
        }),
      );
      await stalled.reached;
      // Act: A's lease ends, B gets p0 (its fence is written), then A's write goes through.
      clock.advance(1_001);
      const beat = await coordinator.heartbeat("g", b.memberId, { generation: b.generation, owned: [] });
      stalled.release();
      const error = await zombieCommit;
      // Assess
      expect(sorted(beat.assignment)).toEqual([0]);
      expect(error.code).toBe("stale_generation");
      expect(await coordinator.fetchOffsets("g")).toEqual([]);
    });

    it("drops a deleted topic's offsets: a topic created again starts without them, and a holder of the old one cannot commit into it", async () => {
      // Prepare: the group has committed offset 5 on orders/0.
      const { coordinator, log } = await fixture(await newManifest(), 1);
      const a = await coordinator.join("g", { topics: ["orders"], sessionTimeoutMs: TIMEOUT });
      await coordinator.commit("g", {
        memberId: a.memberId,
        generation: a.generation,
        offsets: [{ topic: "orders", partition: 0, offset: 5 }],
      });
      expect(await coordinator.fetchOffsets("g")).toMatchObject([{ topic: "orders", offset: 5 }]);
      // Act: the topic is deleted and created again; A, still holding the old incarnation, commits.
      await log.topics.delete("orders");
      await log.topics.create("orders", 1);
      const inherited = await coordinator.fetchOffsets("g", "orders");
      const zombie = await failure(
        coordinator.commit("g", {
          memberId: a.memberId,
          generation: a.generation,
          offsets: [{ topic: "orders", partition: 0, offset: 7 }],
        }),
      );
      const afterZombie = await coordinator.fetchOffsets("g");
      await coordinator.leave("g", a.memberId);
      const b = await coordinator.join("g", { topics: ["orders"], sessionTimeoutMs: TIMEOUT });
      await coordinator.commit("g", {
        memberId: b.memberId,
        generation: b.generation,
        offsets: [{ topic: "orders", partition: 0, offset: 2 }],
      });
      // Assess: absent until the new incarnation's own commit; that one is not held back by the old 5.
      expect(inherited).toEqual([]);
      expect(zombie.code).toBe("stale_generation");
      expect(afterZombie).toEqual([]);
      expect(await coordinator.fetchOffsets("g")).toMatchObject([
        { topic: "orders", partition: 0, offset: 2 },
      ]);
      const described = await coordinator.describe("g");
      expect(described.offsets).toMatchObject([{ topic: "orders", partition: 0, committedOffset: 2 }]);
    });

    it("costs what docs/design/groups.md says: a steady heartbeat 1 read + 1 write, a commit of k partitions of one topic 2 + k reads and k writes", async () => {
      // Prepare
      const counting = new CountingManifestStore(await newManifest());
      const { coordinator } = await fixture(counting, 4);
      const a = await coordinator.join("g", { topics: ["orders"], sessionTimeoutMs: TIMEOUT });
      await coordinator.heartbeat("g", a.memberId, { generation: a.generation, owned: a.assignment });
      const offsets = a.assignment.map((tp) => ({ ...tp, offset: 0 }));
      // Act
      const beforeBeat = { ...counting.counts };
      await coordinator.heartbeat("g", a.memberId, { generation: a.generation, owned: a.assignment });
      const beat = diff(counting.counts, beforeBeat);
      const beforeCommit = { ...counting.counts };
      await coordinator.commit("g", { memberId: a.memberId, generation: a.generation, offsets });
      const commit = diff(counting.counts, beforeCommit);
      // Assess
      expect(beat).toEqual({ get: 1, put: 1, delete: 0, query: 0 });
      // 1 state read + 1 topic read (its incarnation) + k offset reads.
      expect(commit).toEqual({ get: 2 + offsets.length, put: offsets.length, delete: 0, query: 0 });
    });

    it("describes members, assignment, committed offsets and lag, and lists groups", async () => {
      // Prepare
      const { coordinator, produce } = await fixture(await newManifest(), 2);
      await produce(0, ["a", "b", "c", "d", "e"]);
      await produce(1, ["x"]);
      const a = await coordinator.join("billing", { topics: ["orders"], sessionTimeoutMs: TIMEOUT });
      await coordinator.commit("billing", {
        memberId: a.memberId,
        generation: a.generation,
        offsets: [{ topic: "orders", partition: 0, offset: 2 }],
      });
      await coordinator.join("audit", { topics: ["orders"] });
      // Act
      const description = await coordinator.describe("billing");
      const groups = await coordinator.list();
      // Assess
      expect(groups).toEqual(["audit", "billing"]);
      expect(description.state).toBe("stable");
      expect(description.members).toHaveLength(1);
      expect(description.members[0]).toMatchObject({
        memberId: a.memberId,
        generation: a.generation,
        sessionTimeoutMs: TIMEOUT,
      });
      expect(sorted(description.members[0]!.assignment)).toEqual([0, 1]);
      expect(description.offsets).toEqual([
        {
          topic: "orders",
          partition: 0,
          committedOffset: 2,
          metadata: "",
          highWatermark: 5,
          logStartOffset: 0,
          lag: 3,
        },
        {
          topic: "orders",
          partition: 1,
          committedOffset: null,
          metadata: null,
          highWatermark: 1,
          logStartOffset: 0,
          lag: null,
        },
      ]);
      expect((await failure(coordinator.describe("nope"))).code).toBe("group_not_found");
    });

    it("resets an inactive group's offsets (earliest, latest, timestamp, offset) and refuses while members live", async () => {
      // Prepare
      const { coordinator, produce, clock } = await fixture(await newManifest(), 2);
      const t0 = clock.now();
      await produce(0, ["a", "b", "c"], t0);
      await produce(0, ["d", "e"], t0 + 1_000);
      await produce(1, ["x", "y"], t0);
      const a = await coordinator.join("g", { topics: ["orders"], sessionTimeoutMs: TIMEOUT });
      await coordinator.commit("g", {
        memberId: a.memberId,
        generation: a.generation,
        offsets: [{ topic: "orders", partition: 0, offset: 4 }],
      });
      const whileLive = await failure(coordinator.resetOffsets("g", { topic: "orders", to: "earliest" }));
      await coordinator.leave("g", a.memberId);
      // Act
      const earliest = await coordinator.resetOffsets("g", { topic: "orders", to: "earliest" });
      const latest = await coordinator.resetOffsets("g", { topic: "orders", partitions: [0], to: "latest" });
      const byTime = await coordinator.resetOffsets("g", {
        topic: "orders",
        partitions: [0],
        to: "timestamp",
        timestamp: t0 + 500,
      });
      const clamped = await coordinator.resetOffsets("g", {
        topic: "orders",
        partitions: [1],
        to: "offset",
        offset: 99,
      });
      const badPartition = await failure(
        coordinator.resetOffsets("g", { topic: "orders", partitions: [7], to: "latest" }),
      );
      // Assess
      expect(whileLive.code).toBe("group_not_empty");
      expect(earliest.map((o) => o.offset)).toEqual([0, 0]);
      expect(latest.map((o) => o.offset)).toEqual([5]);
      expect(byTime.map((o) => o.offset)).toEqual([3]);
      expect(clamped.map((o) => o.offset)).toEqual([2]);
      expect(badPartition.code).toBe("partition_not_found");
      expect((await coordinator.fetchOffsets("g")).map((o) => o.offset)).toEqual([3, 2]);
    });

    it("rejects what breaks the rules: names, leases, unknown topics, full groups, oversized metadata", async () => {
      // Prepare
      const manifest = await newManifest();
      const { coordinator, log, clock } = await fixture(manifest, 1);
      const small = new GroupCoordinator({
        manifest,
        clock,
        partitions: logPartitionDirectory(log),
        limits: { maxMembers: 1 },
      });
      const a = await coordinator.join("g", { topics: ["orders"] });
      // Act
      const errors = await Promise.all([
        failure(coordinator.join("../x", { topics: ["orders"] })),
        failure(coordinator.join("g", { topics: ["orders"], sessionTimeoutMs: 10 })),
        failure(coordinator.join("g", { topics: [] })),
        failure(coordinator.join("g", { topics: ["missing"] })),
        failure(small.join("g", { topics: ["orders"] })),
        failure(coordinator.heartbeat("none", a.memberId, { generation: 1, owned: [] })),
        failure(
          coordinator.commit("g", {
            memberId: a.memberId,
            generation: a.generation,
            offsets: [{ topic: "orders", partition: 0, offset: 1, metadata: "x".repeat(5000) }],
          }),
        ),
        failure(
          coordinator.commit("g", {
            memberId: a.memberId,
            generation: a.generation,
            offsets: [{ topic: "orders", partition: 0, offset: -1 }],
          }),
        ),
      ]);
      // Assess
      expect(errors.map((e) => e.code)).toEqual([
        "invalid_request",
        "invalid_request",
        "invalid_request",
        "topic_not_found",
        "group_full",
        "group_not_found",
        "invalid_request",
        "invalid_request",
      ]);
      expect((await coordinator.describe("g")).members).toHaveLength(1);
    });

    it("keeps every record consumed, in order, with no two live owners, through joins, leaves, crashes and zombies (fake clock)", async () => {
      // Prepare
      const clock = new FakeClock();
      const world = new GroupWorld({
        manifest: await newManifest(),
        // The records live in memory: the store under test holds the group items only.
        logManifest: new MemoryManifestStore(),
        clock,
        pass: async (ms) => clock.advance(ms),
        seed: 7,
        sessionTimeoutMs: 2_000,
        tickMs: 250,
        partitions: options.partitions,
        recordsPerPartition: options.recordsPerPartition,
        faults: { failBefore: 0.02, loseResponse: 0.03, maxDelayTurns: 2 },
      });
      await world.setUp();
      // Act
      const history = await world.run({ ...CHURN, rounds: options.rounds });
      // Assess
      const report = checkGroupHistory(history, { expectFullyCommitted: true });
      if (report.anomalies.length > 0) throw new Error(formatGroupReport(report));
      expect(report.counts.tenures).toBeGreaterThan(2 * options.partitions);
      expect(report.counts.zombieAttempts).toBeGreaterThan(0);
      expect(report.counts.commitsStale).toBeGreaterThanOrEqual(report.counts.zombieAttempts);
    });

    if (!options.canary) return;
    it("is caught by the checker when pending revocations are forgotten (canary)", async () => {
      // Prepare
      const clock = new FakeClock();
      const world = new GroupWorld({
        manifest: await newManifest(),
        clock,
        pass: async (ms) => clock.advance(ms),
        seed: 11,
        sessionTimeoutMs: 2_000,
        tickMs: 250,
        partitions: 8,
        recordsPerPartition: 10,
        wrapManifest: (inner) => new ForgetfulGroupStore(inner),
      });
      await world.setUp();
      // Act
      const history = await world.run({ ...CHURN, rounds: 20, crash: 0, pause: 0, drainRounds: 5 });
      // Assess
      const report = checkGroupHistory(history, { expectFullyCommitted: false });
      expect(report.anomalies.map((a) => a.kind)).toContain("two live owners");
    });
  });
}

const CHURN: ChurnScript = {
  rounds: 80,
  initialMembers: 3,
  maxMembers: 7,
  join: 0.25,
  crash: 0.06,
  leave: 0.05,
  pause: 0.06,
  produce: 0.4,
  pauseAt: [4],
  drainRounds: 120,
};

/**
 * A deliberately broken store: reads of group state forget every pending revocation, as an eager
 * (non-incremental) coordinator would. The churn must then show two live owners.
 */
class ForgetfulGroupStore implements ManifestStore {
  constructor(private readonly inner: ManifestStore) {}
  async get(pk: string, sk: string) {
    const item = await this.inner.get(pk, sk);
    if (!item || sk !== "state" || !Array.isArray(item.data.members)) return item;
    const members = (item.data.members as ItemData[]).map((m) => ({ ...m, revoking: {} }));
    return { ...item, data: { ...item.data, members } };
  }
  put(item: ManifestItem, condition: WriteCondition) {
    return this.inner.put(item, condition);
  }
  delete(pk: string, sk: string, condition?: WriteCondition) {
    return this.inner.delete(pk, sk, condition);
  }
  query(pk: string, options?: QueryOptions) {
    return this.inner.query(pk, options);
  }
}

/** Holds the next write of an offset item until released (a commit paused between check and write). */
class GatedOffsetWrites implements ManifestStore {
  private gate: { reached: () => void; released: Promise<void> } | undefined;
  constructor(private readonly inner: ManifestStore) {}

  holdNextOffsetWrite(): { reached: Promise<void>; release: () => void } {
    let reached!: () => void;
    let release!: () => void;
    const reachedPromise = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.gate = { reached, released };
    return { reached: reachedPromise, release };
  }

  async put(item: ManifestItem, condition: WriteCondition) {
    const gate = this.gate;
    if (gate && item.sk.startsWith("o#")) {
      this.gate = undefined;
      gate.reached();
      await gate.released;
    }
    return this.inner.put(item, condition);
  }
  get(pk: string, sk: string) {
    return this.inner.get(pk, sk);
  }
  delete(pk: string, sk: string, condition?: WriteCondition) {
    return this.inner.delete(pk, sk, condition);
  }
  query(pk: string, options?: QueryOptions) {
    return this.inner.query(pk, options);
  }
}
