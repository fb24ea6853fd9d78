/**
 * Committed offsets of classic groups, in the same items as the HTTP protocol's
 * (`g#<group>` / `o#<topic>#<partition>`, groups/offset-store.ts), so one group id has one set of
 * committed offsets whichever protocol committed them, and `floe groups describe` shows its lag.
 *
 * Fencing by generation, in the manifest. The offset item's fence names the member a partition was
 * handed to and the generation it was handed over in (`since`). The leader's SyncGroup writes the
 * fences of every partition that changes hands BEFORE the group becomes Stable, i.e. before any
 * member learns its assignment; a commit at generation G is refused when the item's fence is from a
 * later generation, and its write is conditional on the item's version:
 *
 *   zombie Z (gen 4, paused)        o#p (fence Z@2, v=7)        leader sync of gen 5 / new holder B
 *   state check: gen 4 current ✓
 *   read o#p (fence Z@2, v=7) ──────────┤
 *   ✗ paused                            ◀── put fence B@5 if v=7 (v=8), then state := Stable
 *                                                                B fetches the offset, consumes
 *   put o#p offset 90 if v=7: FAILS ───▶
 *   re-read: fence B@5 > gen 4 ────────▶ ILLEGAL_GENERATION, nothing written
 * The commit is thus fenced by the manifest's condition, not by any coordinator's memory: it holds
 * when the paused commit runs on a coordinator that has since died and been replaced.
 *
 * Partitions a member keeps across generations keep their fence (no write), so a cooperative
 * rebalance fences only the partitions that move.
 */
import { partitionId, type TopicPartition } from "../groups/assignment.js";
import { groupPk, offsetSk } from "../groups/group-keys.js";
import { type Fence, type OffsetRecord, OffsetStore, ofIncarnation } from "../groups/offset-store.js";
import type { PartitionDirectory } from "../groups/partition-directory.js";
import { retrying } from "../groups/retry.js";
import type { Clock } from "../ports/clock.js";
import type { ManifestStore } from "../ports/manifest-store.js";
import type { ClassicGroup, ClassicLimits } from "./classic-state.js";
import { assignedPartitions, CONSUMER_PROTOCOL_TYPE } from "./consumer-protocol.js";
import { KafkaGroupError as E } from "./group-errors.js";
import type { OffsetCommitInput, OffsetCommitOutput, OffsetFetchOutput } from "./group-port.js";

const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
/** Offset items read or written at once by one request. */
const CONCURRENCY = 16;

export function validTopicName(name: string): boolean {
  return TOPIC_NAME.test(name) && name !== "." && name !== "..";
}

export type CommitAuthority =
  /** A member of generation `generation` (checked against the state item just read). */
  | { kind: "member"; memberId: string; generation: number }
  /** generationId -1 on a group with no live members: Kafka's simple commit (may move backwards). */
  | { kind: "simple"; generation: number };

export class ClassicOffsets {
  readonly store: OffsetStore;

  constructor(
    private readonly manifest: ManifestStore,
    private readonly clock: Clock,
    private readonly limits: ClassicLimits,
    private readonly random: () => number,
    private readonly partitions: PartitionDirectory,
  ) {
    this.store = new OffsetStore(manifest, clock, limits.retentionMs);
  }

  /** The same code for every partition of the request (a group-level refusal). */
  static refuseAll(input: OffsetCommitInput, errorCode: number): OffsetCommitOutput {
    return {
      topics: input.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode })),
      })),
    };
  }

  async commit(
    group: ClassicGroup,
    input: OffsetCommitInput,
    authority: CommitAuthority,
  ): Promise<OffsetCommitOutput> {
    const names = [...new Set(input.topics.map((t) => t.name))].filter((n) => validTopicName(n));
    const counts = await this.partitions.partitionCounts(names);
    // The topic's current incarnation: the offset is recorded in it (offset-store.ts).
    const topicIds = await this.partitions.topicIds(names);
    const jobs: {
      topic: number;
      index: number;
      tp: TopicPartition;
      offset: number;
      metadata: string;
      topicId: string;
    }[] = [];
    const out: OffsetCommitOutput = {
      topics: input.topics.map((t, ti) => ({
        name: t.name,
        partitions: t.partitions.map((p, pi) => {
          const code = this.partitionCheck(t.name, p.partition, counts);
          if (code !== E.NONE) return { partition: p.partition, errorCode: code };
          if (p.metadata !== null && Buffer.byteLength(p.metadata) > this.limits.maxOffsetMetadataBytes)
            return { partition: p.partition, errorCode: E.OFFSET_METADATA_TOO_LARGE };
          if (!Number.isSafeInteger(p.offset) || p.offset < 0)
            return { partition: p.partition, errorCode: E.OFFSET_OUT_OF_RANGE };
          jobs.push({
            topic: ti,
            index: pi,
            tp: { topic: t.name, partition: p.partition },
            offset: p.offset,
            metadata: p.metadata ?? "",
            topicId: topicIds.get(t.name) ?? "",
          });
          return { partition: p.partition, errorCode: E.NONE };
        }),
      })),
    };
    const codes = await mapLimit(jobs, CONCURRENCY, (j) =>
      authority.kind === "simple"
        ? this.simpleCommit(group, j.tp, j.offset, authority.generation, j.topicId)
        : this.memberCommit(group, j.tp, j.offset, j.metadata, authority, j.topicId),
    );
    jobs.forEach((j, i) => {
      out.topics[j.topic]!.partitions[j.index]!.errorCode = codes[i]!;
    });
    return out;
  }

  private partitionCheck(topic: string, partition: number, counts: Map<string, number>): number {
    if (!validTopicName(topic) || !Number.isSafeInteger(partition) || partition < 0)
      return E.UNKNOWN_TOPIC_OR_PARTITION;
    if (partition >= (counts.get(topic) ?? 0)) return E.UNKNOWN_TOPIC_OR_PARTITION;
    return E.NONE;
  }

  private async memberCommit(
    g: ClassicGroup,
    tp: TopicPartition,
    offset: number,
    metadata: string,
    authority: { memberId: string; generation: number },
    topicId: string,
  ): Promise<number> {
    return retrying(this.retryOptions(`commit ${g.name} ${tp.topic}/${tp.partition}`), async () => {
      let record = await this.store.read(g.name, tp);
      const ours = record?.fence?.incarnation === g.incarnation ? record.fence : null;
      if (ours && ours.since > authority.generation) return E.ILLEGAL_GENERATION;
      let fence: Fence = ours ?? {
        incarnation: g.incarnation,
        member: authority.memberId,
        since: authority.generation,
      };
      if (record && !ours) {
        // The item names another incarnation's holder (an HTTP group's, or this group before it was
        // deleted): claim it for this generation first. A later generation's fence wins.
        if ((await this.store.ensureFence(g.name, tp, fence)) === "superseded") return E.ILLEGAL_GENERATION;
        record = await this.store.read(g.name, tp);
        if (!record?.fence) return E.ILLEGAL_GENERATION;
        fence = record.fence;
        if (fence.incarnation !== g.incarnation || fence.since > authority.generation)
          return E.ILLEGAL_GENERATION;
      }
      const result = await this.store.commit(g.name, tp, fence, offset, metadata, record, topicId);
      return result === "fenced" ? E.ILLEGAL_GENERATION : E.NONE;
    });
  }

  /** OffsetStore.reset refuses once a member was handed the partition after `generation`. */
  private async simpleCommit(
    g: ClassicGroup,
    tp: TopicPartition,
    offset: number,
    generation: number,
    topicId: string,
  ): Promise<number> {
    return retrying(this.retryOptions(`commit ${g.name} ${tp.topic}/${tp.partition}`), async () => {
      const outcome = await this.store.reset(g.name, tp, g.incarnation, generation, offset, topicId);
      return outcome === "active" ? E.UNKNOWN_MEMBER_ID : E.NONE;
    });
  }

  /**
   * Fences every partition the leader's assignments hand to a member that does not hold its fence
   * yet. "superseded" when a later generation already fenced one (this sync is stale).
   */
  async fenceAssignments(g: ClassicGroup): Promise<"fenced" | "superseded"> {
    if (g.protocolType !== CONSUMER_PROTOCOL_TYPE) return "fenced";
    const wanted: { tp: TopicPartition; member: string }[] = [];
    for (const m of g.members) {
      for (const tp of assignedPartitions(m.assignment) ?? []) {
        if (validTopicName(tp.topic)) wanted.push({ tp, member: m.memberId });
      }
    }
    if (wanted.length === 0) return "fenced";
    const current = new Map<string, OffsetRecord>(
      (await this.store.list(g.name)).map((r) => [partitionId(r), r]),
    );
    const todo = wanted.filter(({ tp, member }) => {
      const fence = current.get(partitionId(tp))?.fence;
      return !(fence && fence.incarnation === g.incarnation && fence.member === member);
    });
    const outcomes = await mapLimit(todo, CONCURRENCY, ({ tp, member }) =>
      retrying(this.retryOptions(`fence ${g.name} ${tp.topic}/${tp.partition}`), () =>
        this.store.ensureFence(g.name, tp, { incarnation: g.incarnation, member, since: g.generation }),
      ),
    );
    return outcomes.includes("superseded") ? "superseded" : "fenced";
  }

  async fetch(
    group: string,
    topics: { name: string; partitions: number[] }[] | null,
  ): Promise<OffsetFetchOutput["topics"]> {
    const all = await this.store.list(group);
    // Offsets of a deleted and re-created topic's earlier incarnation are absent (Kafka drops them).
    const topicIds = await this.partitions.topicIds([...new Set(all.map((r) => r.topic))]);
    const records = all.filter((r) => ofIncarnation(r, topicIds.get(r.topic)));
    const byId = new Map(records.map((r) => [partitionId(r), r]));
    const answer = (topic: string, partition: number) => {
      const r = byId.get(partitionId({ topic, partition }));
      return {
        partition,
        offset: r?.offset ?? -1,
        leaderEpoch: -1,
        metadata: r?.offset != null ? r.metadata : "",
        errorCode: E.NONE,
      };
    };
    if (topics === null) {
      const byTopic = new Map<string, number[]>();
      for (const r of records) {
        if (r.offset === null) continue;
        byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r.partition]);
      }
      return [...byTopic].map(([name, ps]) => ({ name, partitions: ps.map((p) => answer(name, p)) }));
    }
    return topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => answer(t.name, p)) }));
  }

  async remove(group: string, tp: TopicPartition): Promise<void> {
    await this.manifest.delete(groupPk(group), offsetSk(tp.topic, tp.partition));
  }

  async hasAny(group: string): Promise<boolean> {
    const page = await this.manifest.query(groupPk(group), { prefix: "o#", limit: 1 });
    return page.items.length > 0;
  }

  private retryOptions(what: string) {
    return { clock: this.clock, random: this.random, timeoutMs: this.limits.opTimeoutMs, what };
  }
}

export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
