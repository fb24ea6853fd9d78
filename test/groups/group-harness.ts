/**
 * A consumer-group world for the reliability tests: a topic with records (the real engine over the
 * given manifest and an in-memory bucket), several stateless coordinators sharing the manifest (as
 * several agents or Lambdas would, optionally behind injected faults), and simulated members that
 * join, heartbeat, consume their partitions from the committed offset, commit, release, leave,
 * crash, or pause past their lease and come back as zombies. Everything the members see goes into
 * a GroupHistory for the checker.
 */
import { FloeError } from "../../client/src/errors.js";
import { decodeRecordBatches } from "../../client/src/format/index.js";
import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import { appendFromBatches } from "../../functions/src/engine/batch-validation.js";
import { FloeLog } from "../../functions/src/engine/log.js";
import type { TopicMeta } from "../../functions/src/engine/model.js";
import { partitionId, type TopicPartition } from "../../functions/src/groups/assignment.js";
import { GroupCoordinator } from "../../functions/src/groups/group-coordinator.js";
import { logPartitionDirectory } from "../../functions/src/groups/partition-directory.js";
import type { Clock } from "../../functions/src/ports/clock.js";
import type { ManifestStore } from "../../functions/src/ports/manifest-store.js";
import { batchOf } from "../support/engine-harness.js";
import { type FaultRates, FaultyManifestStore, NO_FAULTS, seededRandom } from "../support/faults.js";
import type {
  CommitAttempt,
  FinalPartition,
  GroupHistory,
  OffsetObservation,
  Stamp,
  Tenure,
} from "./group-checker.js";

const decoder = new TextDecoder();

export interface GroupWorldOptions {
  /** Where the group items go (the store under test). */
  manifest: ManifestStore;
  /** Where the topic's records go; `manifest` unless given (an in-memory one keeps slow back ends fast). */
  logManifest?: ManifestStore;
  clock: Clock;
  /** Lets `ms` of time pass between rounds (advance a fake clock, or really sleep). */
  pass: (ms: number) => Promise<void>;
  seed: number;
  sessionTimeoutMs: number;
  tickMs: number;
  partitions: number;
  recordsPerPartition: number;
  coordinators?: number;
  faults?: FaultRates;
  /** Wraps the coordinators' manifest (a deliberately broken store, for canaries). */
  wrapManifest?: (inner: ManifestStore) => ManifestStore;
  topic?: string;
  group?: string;
}

export interface ChurnScript {
  rounds: number;
  initialMembers: number;
  maxMembers: number;
  /** Per round probabilities. */
  join: number;
  crash: number;
  leave: number;
  pause: number;
  produce: number;
  /** Rounds at which one member is paused past its lease for sure (it comes back a zombie). */
  pauseAt?: number[];
  /** Rounds at which one member crashes for sure. */
  crashAt?: number[];
  /** Rounds of draining (no churn) at most, until every record is committed. */
  drainRounds: number;
}

export class GroupWorld {
  readonly random: () => number;
  readonly topic: string;
  readonly group: string;
  readonly log: FloeLog;
  readonly coordinators: GroupCoordinator[];
  /** Reads committed offsets for the observations, without faults. */
  readonly observer: GroupCoordinator;
  readonly members: SimMember[] = [];
  readonly tenures: Tenure[] = [];
  readonly commits: CommitAttempt[] = [];
  readonly observations: OffsetObservation[] = [];
  private seq = 0;
  private produced = 0;
  private meta: TopicMeta | undefined;

  constructor(readonly options: GroupWorldOptions) {
    this.random = seededRandom(options.seed);
    this.topic = options.topic ?? `orders-${options.seed}`;
    this.group = options.group ?? `billing-${options.seed}`;
    const objects = new MemoryObjectStore();
    const logManifest = options.logManifest ?? options.manifest;
    this.log = new FloeLog({
      manifest: logManifest,
      objects,
      clock: options.clock,
      random: seededRandom(options.seed + 1),
    });
    const groupsManifest = options.wrapManifest ? options.wrapManifest(options.manifest) : options.manifest;
    // Predictable member ids: the assignor orders members by id, so a seed replays the same run.
    let ids = 0;
    const newId = () => `m${options.seed}-${String(++ids).padStart(4, "0")}`;
    this.coordinators = Array.from({ length: options.coordinators ?? 3 }, (_, i) => {
      const random = seededRandom(options.seed * 31 + i);
      return new GroupCoordinator({
        manifest: new FaultyManifestStore(groupsManifest, random, options.faults ?? NO_FAULTS),
        clock: options.clock,
        // Each coordinator has its own engine (own topic cache), as separate agents would.
        partitions: logPartitionDirectory(
          new FloeLog({ manifest: logManifest, objects, clock: options.clock }),
        ),
        random,
        newId,
      });
    });
    this.observer = new GroupCoordinator({
      manifest: options.manifest,
      clock: options.clock,
      partitions: logPartitionDirectory(this.log),
    });
  }

  async setUp(): Promise<void> {
    this.meta = await this.log.topics.create(this.topic, this.options.partitions);
    for (let p = 0; p < this.options.partitions; p++) await this.produce(p, this.options.recordsPerPartition);
  }

  stamp(): Stamp {
    return { t: this.options.clock.now(), seq: ++this.seq };
  }

  coordinator(): GroupCoordinator {
    return this.coordinators[Math.floor(this.random() * this.coordinators.length)]!;
  }

  async produce(partition: number, count: number): Promise<void> {
    const values = Array.from({ length: count }, () => `${this.topic}/${partition}/${this.produced++}`);
    const [outcome] = await this.log.append([
      appendFromBatches(this.meta!, partition, batchOf(values, this.options.clock.now())),
    ]);
    if (!outcome?.ok) throw new Error(`setup append failed: ${outcome?.error.message}`);
  }

  async read(partition: number, from: number, max: number): Promise<{ offset: number; value: string }[]> {
    const result = await this.log.fetch(
      this.topic,
      partition,
      { offset: from },
      { maxBytes: 64 * 1024, maxRecords: max, clamp: false },
    );
    const out: { offset: number; value: string }[] = [];
    for (const b of result.batches) {
      for (const d of decodeRecordBatches(b.bytes)) {
        for (const r of d.records)
          if (r.offset >= from && out.length < max)
            out.push({ offset: r.offset, value: decoder.decode(r.value!) });
      }
    }
    return out;
  }

  addMember(): SimMember {
    const member = new SimMember(this, `c${this.members.length}`);
    this.members.push(member);
    return member;
  }

  async observe(round: number): Promise<void> {
    this.observations.push({ round, offsets: await this.committed() });
  }

  async committed(): Promise<Map<string, number>> {
    try {
      const offsets = await this.observer.fetchOffsets(this.group);
      return new Map(offsets.map((o) => [partitionId(o), o.offset]));
    } catch (error) {
      if (error instanceof FloeError && error.code === "group_not_found") return new Map();
      throw error;
    }
  }

  async finals(): Promise<FinalPartition[]> {
    const committed = await this.committed();
    const finals: FinalPartition[] = [];
    for (let p = 0; p < this.options.partitions; p++) {
      const tail = await this.log.tail(this.topic, p);
      const values = new Map<number, string>();
      for (let offset = tail.logStartOffset; offset < tail.highWatermark; ) {
        const records = await this.read(p, offset, 1000);
        for (const r of records) values.set(r.offset, r.value);
        offset = records.at(-1)!.offset + 1;
      }
      const id = partitionId({ topic: this.topic, partition: p });
      finals.push({
        partition: id,
        logStartOffset: tail.logStartOffset,
        highWatermark: tail.highWatermark,
        values,
        committed: committed.get(id),
      });
    }
    return finals;
  }

  history(finals: FinalPartition[]): GroupHistory {
    return { tenures: this.tenures, commits: this.commits, observations: this.observations, finals };
  }

  /** Runs the churn, then drains with a stable membership until every record is committed. */
  async run(script: ChurnScript): Promise<GroupHistory> {
    const pauseRounds = Math.ceil(this.options.sessionTimeoutMs / this.options.tickMs) + 3;
    for (let i = 0; i < script.initialMembers; i++) this.addMember();
    let round = 0;
    for (; round < script.rounds; round++) {
      const active = this.members.filter((m) => m.mode === "active");
      if (active.length < script.maxMembers && this.random() < script.join) this.addMember();
      const pick = () => active[Math.floor(this.random() * active.length)];
      if (this.random() < script.crash || script.crashAt?.includes(round)) pick()?.crash();
      if (this.random() < script.pause || script.pauseAt?.includes(round)) pick()?.pause(round + pauseRounds);
      if (this.random() < script.leave) await pick()?.leave();
      if (this.random() < script.produce)
        await this.produce(
          Math.floor(this.random() * this.options.partitions),
          1 + Math.floor(this.random() * 3),
        );
      await this.round(round);
    }
    // Drain: paused members come back (as zombies if their lease ended), nobody else leaves.
    for (const m of this.members) if (m.mode === "paused") m.pause(round);
    while (this.members.filter((m) => m.mode === "active").length < 2) this.addMember();
    const hw = await Promise.all(
      Array.from({ length: this.options.partitions }, (_, p) => this.log.tail(this.topic, p)),
    );
    for (let drained = 0; drained < script.drainRounds; drained++, round++) {
      await this.round(round);
      const committed = await this.committed();
      const done = hw.every(
        (t, p) => committed.get(partitionId({ topic: this.topic, partition: p })) === t.highWatermark,
      );
      if (done) break;
    }
    return this.history(await this.finals());
  }

  private async round(round: number): Promise<void> {
    await Promise.all(this.members.map((m) => m.step(round)));
    await this.observe(round);
    await this.options.pass(this.options.tickMs);
  }
}

interface Holding {
  tp: TopicPartition;
  tenure: Tenure;
  /** Next offset to read; undefined until the committed offset has been read. */
  position?: number;
  /** The last position this holder committed successfully. */
  committed?: number;
  /** Revoked: heartbeats left before the member lets go. */
  releaseIn?: number;
}

/** One consumer process: an honest KIP-848 member, unless paused into a zombie. */
export class SimMember {
  mode: "active" | "crashed" | "paused" | "left" = "active";
  private memberId: string | undefined;
  private generation = 0;
  /** The lease as the member knows it: send time of its last answered heartbeat + timeout. */
  private deadline = 0;
  /** Completion time of its last join/heartbeat attempt, answered or not (the server may have renewed then). */
  private lastAttemptEnd = 0;
  private pausedUntil = 0;
  private readonly owned = new Map<string, Holding>();

  constructor(
    private readonly world: GroupWorld,
    readonly label: string,
  ) {}

  private get clock(): Clock {
    return this.world.options.clock;
  }

  private get timeout(): number {
    return this.world.options.sessionTimeoutMs;
  }

  async step(round: number): Promise<void> {
    if (this.mode === "crashed" || this.mode === "left") return;
    if (this.mode === "paused") {
      if (round < this.pausedUntil) return;
      this.mode = "active";
      if (this.memberId && this.clock.now() >= this.lastAttemptEnd + this.timeout) await this.actAsZombie();
    }
    if (this.memberId && this.clock.now() >= this.deadline) this.lose();
    if (!this.memberId) await this.join();
    else {
      await this.releaseDue();
      if (this.memberId) await this.heartbeat();
    }
    if (this.memberId) await this.consume();
  }

  crash(): void {
    this.endAll(this.world.stamp());
    this.mode = "crashed";
  }

  pause(untilRound: number): void {
    this.mode = "paused";
    this.pausedUntil = untilRound;
  }

  async leave(): Promise<void> {
    const id = this.memberId;
    for (const h of [...this.owned.values()]) if (h.position !== undefined) await this.commit(h);
    this.endAll(this.world.stamp());
    this.mode = "left";
    this.memberId = undefined;
    if (!id) return;
    try {
      await this.world.coordinator().leave(this.world.group, id);
    } catch (error) {
      if (!(error instanceof FloeError)) throw error;
    }
  }

  /** Its lease ended on the server long ago; it tries to commit far ahead anyway. */
  private async actAsZombie(): Promise<void> {
    const held = [...this.owned.values()];
    if (held.length === 0) {
      // Held nothing: it tries partition 0 anyway (it may have held it in a reply it never got).
      const tp = { topic: this.world.topic, partition: 0 };
      const member = `${this.label}/${this.memberId!.slice(0, 8)}`;
      held.push({
        tp,
        tenure: {
          member,
          partition: partitionId(tp),
          start: this.world.stamp(),
          end: this.world.stamp(),
          consumed: [],
        },
      });
    }
    for (const h of held) await this.commit(h, true);
  }

  private async join(): Promise<void> {
    const sent = this.clock.now();
    try {
      const reply = await this.world
        .coordinator()
        .join(this.world.group, { topics: [this.world.topic], sessionTimeoutMs: this.timeout });
      this.memberId = reply.memberId;
      this.generation = reply.generation;
      this.deadline = sent + this.timeout;
      this.apply(reply.assignment);
    } catch (error) {
      if (!(error instanceof FloeError) || error.code !== "unavailable") throw error;
    } finally {
      this.lastAttemptEnd = this.clock.now();
    }
  }

  private async heartbeat(): Promise<void> {
    const sent = this.clock.now();
    try {
      const reply = await this.world.coordinator().heartbeat(this.world.group, this.memberId!, {
        generation: this.generation,
        owned: [...this.owned.values()].map((h) => h.tp),
      });
      if (reply.generation < this.generation) return; // a stale reply: ignore it
      this.generation = reply.generation;
      this.deadline = sent + this.timeout;
      this.apply(reply.assignment);
    } catch (error) {
      if (!(error instanceof FloeError)) throw error;
      if (error.code === "member_not_found" || error.code === "stale_generation") this.lose();
      else if (error.code !== "unavailable") throw error;
    } finally {
      this.lastAttemptEnd = this.clock.now();
    }
  }

  /** Follows an assignment: newly assigned partitions are held at once, revoked ones let go later. */
  private apply(assignment: readonly TopicPartition[]): void {
    const assigned = new Set(assignment.map(partitionId));
    for (const [id, h] of this.owned) {
      if (!assigned.has(id) && h.releaseIn === undefined) h.releaseIn = Math.floor(this.world.random() * 3);
      if (assigned.has(id)) delete h.releaseIn;
    }
    for (const tp of assignment) {
      const id = partitionId(tp);
      if (this.owned.has(id)) continue;
      const tenure: Tenure = {
        member: `${this.label}/${this.memberId!.slice(0, 8)}`,
        partition: id,
        start: this.world.stamp(),
        consumed: [],
      };
      this.world.tenures.push(tenure);
      this.owned.set(id, { tp: { topic: tp.topic, partition: tp.partition }, tenure });
    }
  }

  /** Revoked partitions whose time has come: commit where it got to, then stop holding. */
  private async releaseDue(): Promise<void> {
    for (const [id, h] of [...this.owned]) {
      if (h.releaseIn === undefined) continue;
      if (h.releaseIn > 0) {
        h.releaseIn--;
        continue;
      }
      if (h.position !== undefined) await this.commit(h);
      if (!this.memberId) return;
      h.tenure.end = this.world.stamp();
      this.owned.delete(id);
    }
  }

  private async consume(): Promise<void> {
    for (const h of [...this.owned.values()]) {
      if (!this.memberId || h.releaseIn !== undefined || this.clock.now() >= this.deadline) return;
      if (h.position === undefined) {
        try {
          const committed = await this.world.coordinator().fetchOffsets(this.world.group, this.world.topic);
          h.position = committed.find((o) => o.partition === h.tp.partition)?.offset ?? 0;
          h.committed = h.position;
          h.tenure.startOffset = h.position;
        } catch (error) {
          if (!(error instanceof FloeError) || error.code !== "unavailable") throw error;
          continue;
        }
      }
      const records = await this.world.read(h.tp.partition, h.position, 4);
      for (const r of records) {
        h.tenure.consumed.push(r);
        h.position = r.offset + 1;
      }
      // Commit most steps, and always once idle, so work is sometimes redone after a crash but
      // the group's position reaches the end of the log once it drains.
      const pending = h.position !== h.committed;
      if (pending && (records.length === 0 || this.world.random() < 0.7)) await this.commit(h);
    }
  }

  private async commit(h: Holding, zombie = false): Promise<void> {
    if (!this.memberId) return;
    // A zombie tries to jump far ahead: if that ever landed the checker would see it.
    const offset = zombie ? 1_000_000_000 : h.position!;
    const attempt: CommitAttempt = {
      member: h.tenure.member,
      partition: h.tenure.partition,
      offset,
      outcome: "unknown",
      zombie,
    };
    this.world.commits.push(attempt);
    try {
      await this.world.coordinator().commit(this.world.group, {
        memberId: this.memberId,
        generation: this.generation,
        offsets: [{ topic: h.tp.topic, partition: h.tp.partition, offset }],
      });
      attempt.outcome = "ok";
      if (!zombie) h.committed = offset;
    } catch (error) {
      if (!(error instanceof FloeError)) throw error;
      if (error.code === "stale_generation") {
        attempt.outcome = "stale";
        if (!zombie) this.lose();
      } else if (error.code !== "unavailable") throw error;
    }
  }

  /** The membership is gone: stop holding everything, as of the end of the lease at the latest. */
  private lose(): void {
    const now = this.clock.now();
    this.endAll(now >= this.deadline ? { t: this.deadline, seq: 0 } : this.world.stamp());
    this.memberId = undefined;
  }

  private endAll(at: Stamp): void {
    for (const h of this.owned.values()) h.tenure.end = at;
    this.owned.clear();
  }
}
