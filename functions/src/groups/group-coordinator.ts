/**
 * The group coordinator: every consumer-group request, served from the manifest alone. It keeps
 * no state of its own between requests, so any agent or Lambda can serve any group.
 *
 * Request costs (DynamoDB requests; S = state item size in KB, rounded up):
 *   join / heartbeat / leave   1 read (S/4 RCU) + 1 conditional write (S WCU), + per partition newly
 *                              granted to the caller: 1 read + 1 write of its offset item (fence),
 *                              + 1 topic read per topic granted;
 *                              + 1 retry of all that per lost race.
 *   commit of k partitions     1 state read + 1 topic read per topic (its incarnation) + k offset
 *                              reads + k conditional writes.
 *   fetch offsets              1 state read + 1 query page per 500 partitions + 1 topic read per topic.
 *   describe                   1 state read + offsets query + 1 head read per partition (lag).
 *   reset of k partitions      1 state read + k head reads + k offset reads + k conditional writes.
 */
import { randomUUID } from "node:crypto";
import { FloeError, invalidRequest } from "../../../client/src/errors.js";
import { validateTopicName } from "../engine/topic-config.js";
import { type ClassicSummary, readClassicSummary } from "../kafka/classic-state.js";
import type { Clock } from "../ports/clock.js";
import { type ManifestStore, StoreUnavailableError } from "../ports/manifest-store.js";
import { partitionId, type TopicPartition } from "./assignment.js";
import {
  DEFAULT_GROUP_LIMITS,
  type GroupLimits,
  sessionTimeoutOf,
  validateGroupName,
  validateMemberId,
} from "./group-limits.js";
import {
  type GroupMember,
  type GroupState,
  type HeldPartition,
  isLive,
  newGroupState,
} from "./group-state.js";
import { GroupStore } from "./group-store.js";
import { type Fence, type OffsetRecord, OffsetStore, ofIncarnation, sameFence } from "./offset-store.js";
import { isMissingPartition, type PartitionDirectory } from "./partition-directory.js";
import { applyHeartbeat, applyJoin, applyLeave, liveMember, type PartitionCounts } from "./reconcile.js";
import {
  checkResetTarget,
  commitListOf,
  generationOf,
  type OffsetCommit,
  partitionListOf,
  type ResetRequest,
  resetPartitionsOf,
  subscriptionOf,
} from "./request-rules.js";
import { retrying } from "./retry.js";

export type { OffsetCommit, ResetRequest, ResetTarget } from "./request-rules.js";

export interface GroupCoordinatorOptions {
  manifest: ManifestStore;
  clock: Clock;
  partitions: PartitionDirectory;
  limits?: Partial<GroupLimits>;
  random?: () => number;
  /** Issues member ids (random UUIDs unless a test wants them predictable). */
  newId?: () => string;
}

export interface MemberAssignment {
  memberId: string;
  /** The member's generation: send it with heartbeats and commits. */
  generation: number;
  /** The partitions the member may hold now. */
  assignment: TopicPartition[];
  /** How often to heartbeat: a third of the session timeout, at most 5 s (KIP-848's default). */
  heartbeatIntervalMs: number;
}

export interface CommittedOffset extends TopicPartition {
  offset: number;
  metadata: string;
}

export interface MemberDescription {
  memberId: string;
  topics: string[];
  sessionTimeoutMs: number;
  generation: number;
  assignment: TopicPartition[];
  target: TopicPartition[];
  revoking: TopicPartition[];
  leaseExpiresInMs: number;
}

export interface PartitionLag extends TopicPartition {
  committedOffset: number | null;
  metadata: string | null;
  highWatermark: number | null;
  logStartOffset: number | null;
  /** High watermark - committed offset; null without a committed offset or a readable partition. */
  lag: number | null;
}

export type GroupPhase = "empty" | "stable" | "reconciling";

export interface GroupDescription {
  group: string;
  generation: number;
  state: GroupPhase;
  members: MemberDescription[];
  offsets: PartitionLag[];
}

/** A reply about to be sent turned out stale (a later grant fenced one of its partitions): re-decide. */
const FENCE_ROUNDS = 3;
/** Offset items read or written at once by one request. */
const CONCURRENCY = 16;

export class GroupCoordinator {
  readonly limits: GroupLimits;
  private readonly store: GroupStore;
  private readonly offsets: OffsetStore;
  private readonly random: () => number;
  private readonly newId: () => string;

  constructor(private readonly options: GroupCoordinatorOptions) {
    this.limits = { ...DEFAULT_GROUP_LIMITS, ...options.limits };
    this.random = options.random ?? Math.random;
    this.newId = options.newId ?? randomUUID;
    this.store = new GroupStore(options.manifest, options.clock, this.limits, this.random);
    this.offsets = new OffsetStore(options.manifest, options.clock, this.limits.retentionMs);
  }

  /** A new member joins (creating the group on first use) and gets what it may hold now. */
  async join(
    group: string,
    request: { topics: string[]; sessionTimeoutMs?: number },
  ): Promise<MemberAssignment> {
    return guarded(async () => {
      validateGroupName(group);
      const topics = subscriptionOf(request.topics, this.limits);
      const sessionTimeoutMs = sessionTimeoutOf(request.sessionTimeoutMs, this.limits);
      const memberId = this.newId();
      return this.withFences(group, memberId, 0, () =>
        this.store.update(group, async (current, { now }) => {
          // The id is fresh, so finding it means an earlier attempt of this very join landed.
          if (current?.members.some((m) => m.id === memberId)) {
            liveMember(current, memberId, now);
            return { result: current };
          }
          const base = current ?? newGroupState(group, randomUUID(), now);
          const live = base.members.filter((m) => isLive(m, now));
          if (live.length === 0) await this.refuseIfClassicActive(group, now);
          if (live.length >= this.limits.maxMembers) {
            throw new FloeError(
              "group_full",
              `group ${group} already has ${live.length} members (the limit)`,
              {
                limit: this.limits.maxMembers,
              },
            );
          }
          const union = [...new Set([...live.flatMap((m) => m.topics), ...topics])];
          if (union.length > this.limits.maxTopicsPerGroup) {
            throw invalidRequest(
              `a group may subscribe to at most ${this.limits.maxTopicsPerGroup} topics in all`,
              {
                limit: this.limits.maxTopicsPerGroup,
              },
            );
          }
          const counts = await this.options.partitions.partitionCounts(union);
          const missing = topics.find((t) => !counts.has(t));
          if (missing !== undefined)
            throw new FloeError("topic_not_found", `topic ${missing} does not exist`, { topic: missing });
          const total = [...counts.values()].reduce((a, b) => a + b, 0);
          if (total > this.limits.maxPartitionsPerGroup) {
            throw invalidRequest(
              `a group may cover at most ${this.limits.maxPartitionsPerGroup} partitions; this join would make ${total}`,
              {
                limit: this.limits.maxPartitionsPerGroup,
              },
            );
          }
          const next = applyJoin(base, { memberId, topics, sessionTimeoutMs }, now, counts);
          return { write: next, result: next };
        }),
      );
    });
  }

  /** Renews the lease, reports what the member holds, and answers what it may hold now. */
  async heartbeat(
    group: string,
    memberId: string,
    request: { generation: number; owned: TopicPartition[] },
  ): Promise<MemberAssignment> {
    return guarded(async () => {
      validateGroupName(group);
      validateMemberId(memberId);
      const generation = generationOf(request.generation);
      const owned = partitionListOf(request.owned, "owned", this.limits);
      return this.withFences(group, memberId, generation, () =>
        this.store.update(group, async (current, { now }) => {
          if (!current) throw groupNotFound(group);
          const counts = await this.countsFor(current, now);
          const next = applyHeartbeat(current, { memberId, generation, owned }, now, counts);
          return { write: next, result: next };
        }),
      );
    });
  }

  /** The member leaves and promises to hold nothing: its partitions can be granted at once. */
  async leave(group: string, memberId: string): Promise<void> {
    return guarded(async () => {
      validateGroupName(group);
      validateMemberId(memberId);
      await this.store.update(group, async (current, { now, retrying }) => {
        if (!current) throw groupNotFound(group);
        const present = current.members.some((m) => m.id === memberId && isLive(m, now));
        // Gone on a retry: our first attempt may well have removed it. Either way it is gone.
        if (!present && retrying) return { result: undefined };
        const counts = await this.countsFor(current, now);
        return { write: applyLeave(current, memberId, now, counts), result: undefined };
      });
    });
  }

  /**
   * Commits offsets for partitions the member holds. Everything is checked before anything is
   * written, so a stale member changes nothing. Offsets never move backwards: the reply carries
   * the committed offset of each partition after the call.
   */
  async commit(
    group: string,
    request: { memberId: string; generation: number; offsets: OffsetCommit[] },
  ): Promise<CommittedOffset[]> {
    return guarded(async () => {
      validateGroupName(group);
      validateMemberId(request.memberId);
      const generation = generationOf(request.generation);
      const commits = commitListOf(request.offsets, this.limits);
      const state = await this.store.read(group);
      if (!state) throw groupNotFound(group);
      const now = this.options.clock.now();
      const member = state.members.find((m) => m.id === request.memberId);
      if (!member || !isLive(member, now)) {
        throw stale(
          `member ${request.memberId} is not a live member of group ${group} (it left or its lease expired)`,
          member,
        );
      }
      if (generation > member.epoch)
        throw stale(`generation ${generation} was never issued to member ${member.id}`, member);
      const held = new Map<string, HeldPartition>(
        [...member.assigned, ...member.revoking].map((h) => [partitionId(h), h]),
      );
      const fences = commits.map((c) => {
        const h = held.get(partitionId(c));
        if (!h || generation < h.since) {
          throw stale(
            `member ${member.id} does not hold ${c.topic}/${c.partition} at generation ${generation}`,
            member,
            c,
          );
        }
        return { incarnation: state.incarnation, member: member.id, since: h.since } satisfies Fence;
      });
      const topicIds = await this.options.partitions.topicIds([...new Set(commits.map((c) => c.topic))]);
      const current = await mapLimit(commits, CONCURRENCY, (c) => this.offsets.read(group, c));
      commits.forEach((c, i) => {
        const record = current[i];
        if (record && !sameFence(record.fence, fences[i]!)) {
          throw stale(`${c.topic}/${c.partition} has been handed to another member`, member, c);
        }
        const topicId = topicIds.get(c.topic);
        if (topicId === undefined)
          throw new FloeError("topic_not_found", `topic ${c.topic} does not exist`, { topic: c.topic });
        // The member was granted the partition in an incarnation of the topic since deleted: its
        // position belongs to the old log and must not land on the new one. Rejoining re-grants it.
        const grantedIn = record?.fence?.topicId;
        if (grantedIn !== undefined && grantedIn !== topicId)
          throw stale(
            `topic ${c.topic} was deleted and created again since ${c.topic}/${c.partition} was granted; rejoin`,
            member,
            c,
          );
      });
      const results = await mapLimit(commits, CONCURRENCY, (c, i) =>
        retrying(this.retryOptions(`commit ${group} ${c.topic}/${c.partition}`), async (retry) => {
          const record = retry === 0 ? current[i] : await this.offsets.read(group, c);
          const topicId = topicIds.get(c.topic)!;
          return this.offsets.commit(group, c, fences[i]!, c.offset, c.metadata ?? "", record, topicId);
        }),
      );
      const lost = commits.filter((_, i) => results[i] === "fenced");
      if (lost.length > 0) {
        // Rare: a handover raced this request after the checks above. The other partitions were
        // committed while still held, which is what the member meant.
        const names = lost.map((c) => `${c.topic}/${c.partition}`).join(", ");
        throw stale(
          `${names} were handed to another member during this commit; the other partitions were committed`,
          member,
        );
      }
      return commits.map((c, i) => {
        const result = results[i] as { offset: number; metadata: string };
        return { topic: c.topic, partition: c.partition, offset: result.offset, metadata: result.metadata };
      });
    });
  }

  /** Committed offsets of the group (or of one topic), sorted by topic and partition. */
  async fetchOffsets(group: string, topic?: string): Promise<CommittedOffset[]> {
    return guarded(async () => {
      validateGroupName(group);
      if (topic !== undefined) validateTopicName(topic);
      if (!(await this.store.read(group)) && !(await this.classicSummary(group))) throw groupNotFound(group);
      return (await this.currentOffsets(group, topic)).flatMap(committed);
    });
  }

  async describe(group: string): Promise<GroupDescription> {
    return guarded(async () => {
      validateGroupName(group);
      const now = this.options.clock.now();
      // A Kafka (classic protocol) group of this id shares the committed offsets: describe shows
      // its generation, phase and lag (its members are described by Kafka's DescribeGroups).
      const classic = await this.classicSummary(group);
      const state = (await this.store.read(group)) ?? (classic && newGroupState(group, "", now));
      if (!state) throw groupNotFound(group);
      const live = state.members.filter((m) => isLive(m, now));
      const records = await this.currentOffsets(group);
      const counts = await this.options.partitions.partitionCounts([
        ...new Set([...live.flatMap((m) => m.topics), ...records.map((r) => r.topic)]),
      ]);
      const byId = new Map(records.map((r) => [partitionId(r), r]));
      const partitions: TopicPartition[] = [];
      for (const [topic, count] of [...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        for (let partition = 0; partition < count; partition++) partitions.push({ topic, partition });
      }
      // Offsets of topics (or partitions) that no longer exist are still shown, without lag.
      const listed = new Set(partitions.map(partitionId));
      for (const r of records)
        if (!listed.has(partitionId(r))) partitions.push({ topic: r.topic, partition: r.partition });
      const offsets = await mapLimit(partitions, CONCURRENCY, async (tp, i) =>
        this.lagOf(tp, byId.get(partitionId(tp)), i),
      );
      return {
        group,
        generation: classic && live.length === 0 ? classic.generation : state.epoch,
        state: classic && live.length === 0 ? classicPhase(classic) : phaseOf(live),
        members: live.map((m) => ({
          memberId: m.id,
          topics: m.topics,
          sessionTimeoutMs: m.sessionTimeoutMs,
          generation: m.epoch,
          assignment: m.assigned.map(plain),
          target: m.target.map(plain),
          revoking: m.revoking.map(plain),
          leaseExpiresInMs: m.leaseExpiresAt - now,
        })),
        offsets,
      };
    });
  }

  /** Names of all groups. */
  async list(): Promise<string[]> {
    return guarded(async () => {
      return this.store.listGroups();
    });
  }

  /**
   * Moves committed offsets of an inactive group (no live members) to the earliest or latest
   * offset, the first offset at a timestamp, or an explicit offset (clamped to the log's bounds,
   * as Kafka's reset tool does). The one way an offset may move backwards.
   */
  async resetOffsets(group: string, request: ResetRequest): Promise<CommittedOffset[]> {
    return guarded(async () => {
      validateGroupName(group);
      validateTopicName(request.topic);
      checkResetTarget(request);
      const state = await this.store.read(group);
      if (!state) throw groupNotFound(group);
      const live = state.members.filter((m) => isLive(m, this.options.clock.now()));
      if (live.length > 0) {
        throw new FloeError(
          "group_not_empty",
          `group ${group} has ${live.length} live member(s); offsets can only be reset while the group is inactive (members left or leases expired)`,
          { group, live_members: live.length },
        );
      }
      // The incarnation first, read fresh (which also refreshes the topic cache the tails below go
      // through): the targets then come from this incarnation or a later one, never an earlier,
      // so a stale cache cannot store a deleted incarnation's offsets labelled as the current one's
      // (test/groups/review-reset-stale-incarnation.test.ts). A later one's offsets labelled with
      // this id are only dropped as another incarnation's.
      const topicId = (await this.options.partitions.topicIds([request.topic])).get(request.topic);
      if (topicId === undefined)
        throw new FloeError("topic_not_found", `topic ${request.topic} does not exist`, {
          topic: request.topic,
        });
      const count = (await this.options.partitions.partitionCounts([request.topic])).get(request.topic);
      if (count === undefined)
        throw new FloeError("topic_not_found", `topic ${request.topic} does not exist`, {
          topic: request.topic,
        });
      const partitions = resetPartitionsOf(request.partitions, count, request.topic, this.limits);
      const targets = await mapLimit(partitions, CONCURRENCY, (partition) =>
        this.resetOffsetOf(request, partition),
      );
      const outcomes = await mapLimit(partitions, CONCURRENCY, (partition, i) =>
        retrying(this.retryOptions(`reset ${group} ${request.topic}/${partition}`), () =>
          this.offsets.reset(
            group,
            { topic: request.topic, partition },
            state.incarnation,
            state.epoch,
            targets[i]!,
            topicId,
          ),
        ),
      );
      if (outcomes.includes("active")) {
        throw invalidRequest(
          `a member joined group ${group} during the reset; some partitions may have been reset, run it again once the group is inactive`,
          {
            group,
          },
        );
      }
      return partitions.map((partition, i) => ({
        topic: request.topic,
        partition,
        offset: targets[i]!,
        metadata: "",
      }));
    });
  }

  // ---- helpers ----------------------------------------------------------------------------------

  private async classicSummary(group: string): Promise<ClassicSummary | undefined> {
    return readClassicSummary(this.options.manifest, group, this.options.clock.now());
  }

  /**
   * One group id is one protocol at a time: a Kafka classic group with live members refuses HTTP
   * joins (and the classic coordinator refuses Kafka joins while HTTP members are live). Checked
   * only when the HTTP group has no live members of its own (docs/design/kafka-groups.md).
   */
  private async refuseIfClassicActive(group: string, now: number): Promise<void> {
    const classic = await readClassicSummary(this.options.manifest, group, now);
    if (classic && classic.liveMembers > 0) {
      throw new FloeError(
        "group_protocol_mismatch",
        `group ${group} is in use by ${classic.liveMembers} Kafka consumer(s) (classic protocol); join it through Kafka or use another group id`,
        { group, live_members: classic.liveMembers },
      );
    }
  }

  /**
   * Runs a membership update, then fences every partition the reply newly tells the member about
   * (granted after `known`, the generation the member reported) before the reply is sent: from
   * then on no earlier holder can commit them (offset-store.ts).
   */
  private async withFences(
    group: string,
    memberId: string,
    known: number,
    update: () => Promise<GroupState>,
  ): Promise<MemberAssignment> {
    for (let round = 0; round < FENCE_ROUNDS; round++) {
      const state = await update();
      const member = state.members.find((m) => m.id === memberId)!;
      const fresh = member.assigned.filter((h) => h.since > known);
      const topicIds =
        fresh.length === 0
          ? new Map<string, string>()
          : await this.options.partitions.topicIds([...new Set(fresh.map((h) => h.topic))]);
      const outcomes = await mapLimit(fresh, CONCURRENCY, (h) => {
        const topicId = topicIds.get(h.topic);
        return retrying(this.retryOptions(`fence ${group} ${h.topic}/${h.partition}`), () =>
          this.offsets.ensureFence(group, h, {
            incarnation: state.incarnation,
            member: memberId,
            since: h.since,
            ...(topicId !== undefined ? { topicId } : {}),
          }),
        );
      });
      if (outcomes.every((o) => o === "fenced")) return this.assignmentOf(member);
    }
    throw new FloeError(
      "unavailable",
      `group ${group} kept changing while answering member ${memberId}; retry`,
      {},
      1,
    );
  }

  /**
   * The group's offset items whose offsets belong to their topic's current incarnation: those of
   * a topic deleted (and maybe created again) since are left out, as Kafka drops them, so a
   * re-created topic starts per the reset policy instead of skipping records.
   */
  private async currentOffsets(group: string, topic?: string): Promise<OffsetRecord[]> {
    const records = await this.offsets.list(group, topic);
    const ids = await this.options.partitions.topicIds([...new Set(records.map((r) => r.topic))]);
    return records.filter((r) => ofIncarnation(r, ids.get(r.topic)));
  }

  private assignmentOf(member: GroupMember): MemberAssignment {
    return {
      memberId: member.id,
      generation: member.epoch,
      assignment: member.assigned.map(plain),
      heartbeatIntervalMs: Math.min(5_000, Math.floor(member.sessionTimeoutMs / 3)),
    };
  }

  private async countsFor(state: GroupState, now: number): Promise<PartitionCounts> {
    const live = state.members.filter((m) => isLive(m, now));
    return this.options.partitions.partitionCounts([...new Set(live.flatMap((m) => m.topics))]);
  }

  private async lagOf(
    tp: TopicPartition,
    record: OffsetRecord | undefined,
    index: number,
  ): Promise<PartitionLag> {
    const offset = record?.offset ?? null;
    const lag: PartitionLag = {
      ...tp,
      committedOffset: offset,
      metadata: offset === null ? null : record!.metadata,
      highWatermark: null,
      logStartOffset: null,
      lag: null,
    };
    if (index >= this.limits.maxDescribePartitions) return lag;
    try {
      const tail = await this.options.partitions.tail(tp.topic, tp.partition);
      lag.highWatermark = tail.highWatermark;
      lag.logStartOffset = tail.logStartOffset;
      if (offset !== null) lag.lag = Math.max(0, tail.highWatermark - offset);
    } catch (error) {
      if (!isMissingPartition(error)) throw error;
    }
    return lag;
  }

  private async resetOffsetOf(request: ResetRequest, partition: number): Promise<number> {
    const tail = await this.options.partitions.tail(request.topic, partition);
    switch (request.to) {
      case "earliest":
        return tail.logStartOffset;
      case "latest":
        return tail.highWatermark;
      case "timestamp":
        return this.options.partitions.offsetForTimestamp(request.topic, partition, request.timestamp);
      case "offset":
        return Math.min(Math.max(request.offset, tail.logStartOffset), tail.highWatermark);
    }
  }

  private retryOptions(what: string) {
    return { clock: this.options.clock, random: this.random, timeoutMs: this.limits.opTimeoutMs, what };
  }
}

/**
 * Store faults outside the retry loops (plain reads) leave as `unavailable`, like every other
 * transient failure: the error table, not an AWS-shaped exception, is what callers see.
 */
async function guarded<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof StoreUnavailableError)
      throw new FloeError("unavailable", `the manifest is unavailable: ${error.message}`, {}, 1);
    throw error;
  }
}

function groupNotFound(group: string): FloeError {
  return new FloeError("group_not_found", `group ${group} does not exist`, { group });
}

function stale(message: string, member: GroupMember | undefined, tp?: TopicPartition): FloeError {
  return new FloeError("stale_generation", message, {
    ...(member ? { generation: member.epoch } : {}),
    ...(tp ? { topic: tp.topic, partition: tp.partition } : {}),
  });
}

function committed(r: OffsetRecord): CommittedOffset[] {
  return r.offset === null
    ? []
    : [{ topic: r.topic, partition: r.partition, offset: r.offset, metadata: r.metadata }];
}

function plain(tp: TopicPartition): TopicPartition {
  return { topic: tp.topic, partition: tp.partition };
}

function classicPhase(classic: ClassicSummary): GroupPhase {
  if (classic.phase === "Empty") return "empty";
  return classic.phase === "Stable" ? "stable" : "reconciling";
}

function phaseOf(live: readonly GroupMember[]): GroupPhase {
  if (live.length === 0) return "empty";
  const settled = live.every((m) => m.revoking.length === 0 && m.assigned.length === m.target.length);
  return settled ? "stable" : "reconciling";
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return results;
}
