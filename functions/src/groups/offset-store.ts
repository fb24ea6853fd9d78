/**
 * Committed offsets, one item per partition (`g#<group>` / `o#<topic>#<partition>`), each carrying
 * the fence that names the member currently allowed to commit it.
 *
 * Why a fence: a commit first checks the state item (is the member live, does it hold the
 * partition at this generation?) and then writes the offset item. Without transactions these are
 * two requests, and a zombie can be paused between them:
 *
 *   zombie A                       state / offset item            new holder B
 *   check state: A holds p ✓
 *   ✗ paused (GC, frozen Lambda)
 *                                  A's lease ends; p granted to B
 *                                  ◀──── fence: o#p names B ───── (before B is told about p)
 *                                                                  read committed offset 40, consume
 *   put o#p offset 90 if v=<before fence>:  FAILS (the fence bumped the version)
 *
 * The coordinator writes the fence before the reply that tells B about p (ensureFence), so every
 * commit that passed its state check before the handover is decided by the version condition, and
 * every later one finds a fence naming somebody else.
 */
import type { Clock } from "../ports/clock.js";
import type { ItemData, ManifestItem, ManifestStore } from "../ports/manifest-store.js";
import type { TopicPartition } from "./assignment.js";
import { groupPk, offsetPrefix, offsetSk } from "./group-keys.js";

/** Who may commit a partition: the member granted it at group epoch `since`, in this incarnation. */
export interface Fence {
  incarnation: string;
  member: string;
  since: number;
  /**
   * The topic incarnation (topicId) the partition was granted in. A commit finding another
   * incarnation now is refused: the member was consuming a topic since deleted and created again.
   */
  topicId?: string;
}

export interface OffsetRecord extends TopicPartition {
  /** The next offset to read; null when only a fence has been written. */
  offset: number | null;
  /**
   * The topic incarnation (topicId) the offset was committed in; null for fence-only items and
   * items written before incarnations were recorded. An offset of another incarnation than the
   * topic's current one is treated as absent (Kafka drops a deleted topic's offsets).
   */
  topicId: string | null;
  metadata: string;
  committedAt: number | null;
  fence: Fence | null;
  version: number;
}

export type FenceOutcome = "fenced" | "superseded";

export class OffsetStore {
  constructor(
    private readonly manifest: ManifestStore,
    private readonly clock: Clock,
    private readonly retentionMs: number,
  ) {}

  async read(group: string, tp: TopicPartition): Promise<OffsetRecord | undefined> {
    const item = await this.manifest.get(groupPk(group), offsetSk(tp.topic, tp.partition));
    return item ? recordFromItem(tp, item) : undefined;
  }

  /** Every offset item of the group (or of one topic), sorted by topic then partition. */
  async list(group: string, topic?: string): Promise<OffsetRecord[]> {
    const out: OffsetRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.manifest.query(groupPk(group), {
        prefix: offsetPrefix(topic),
        limit: 500,
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items) out.push(recordFromItem(topicPartitionOfSk(item.sk), item));
      cursor = page.cursor;
    } while (cursor);
    return out.sort((a, b) =>
      a.topic !== b.topic ? (a.topic < b.topic ? -1 : 1) : a.partition - b.partition,
    );
  }

  /**
   * Makes the offset item name `fence`'s member, unless a later grant already fenced it
   * ("superseded": whatever reply was about to be sent is stale). One attempt; callers retry.
   *
   *   handler of B's grant (since 8)      o#p                      handler of C's grant (since 12)
   *   read o#p (fence A@3, v=5) ──────────┤
   *                                       ├──────────────────────── read o#p (fence A@3, v=5)
   *                                       ◀── put fence C@12 if v=5: ok (v=6)
   *   put fence B@8 if v=5: FAILS ───────▶
   *   re-read: fence C@12 is later ─────▶ superseded (B's reply is not sent)
   * Without the version condition B's late fence would overwrite C's, and C's commits would fail.
   */
  async ensureFence(group: string, tp: TopicPartition, fence: Fence): Promise<FenceOutcome> {
    const current = await this.read(group, tp);
    const existing = current?.fence;
    if (existing && existing.incarnation === fence.incarnation) {
      if (existing.since > fence.since) return "superseded";
      if (existing.since === fence.since && existing.member === fence.member) return "fenced";
    }
    const next: OffsetRecord = current
      ? { ...current, fence }
      : { ...tp, offset: null, topicId: null, metadata: "", committedAt: null, fence, version: 0 };
    await this.write(group, next, current);
    return "fenced";
  }

  /**
   * Commits `offset` for the holder named by `fence`, never moving the offset backwards (a delayed
   * retry must not undo progress). Returns the committed offset (and its metadata) after the call, or "fenced" when
   * the item names somebody else. One attempt; callers retry on ConditionFailedError.
   *
   *   holder A (fence A@3)                  o#p (v=5, offset 40)
   *   read o#p ────────────────────────────┤
   *                                         ◀── A's earlier commit, delayed: put 60 if v=5: ok (v=6)
   *   put offset 50 if v=5: FAILS ────────▶
   *   re-read: offset 60 > 50 ────────────▶ keep 60
   * Without the condition the later write would land last and move the offset back to 50.
   */
  async commit(
    group: string,
    tp: TopicPartition,
    fence: Fence,
    offset: number,
    metadata: string,
    current: OffsetRecord | undefined,
    topicId: string,
  ): Promise<{ offset: number; metadata: string } | "fenced"> {
    if (current && !sameFence(current.fence, fence)) return "fenced";
    // An offset of an earlier incarnation of the topic is no progress to protect: overwrite it.
    if (current?.offset != null && current.offset > offset && ofIncarnation(current, topicId))
      return { offset: current.offset, metadata: current.metadata };
    const base: OffsetRecord = current ?? {
      ...tp,
      offset: null,
      topicId: null,
      metadata: "",
      committedAt: null,
      fence,
      version: 0,
    };
    await this.write(group, { ...base, offset, topicId, metadata, committedAt: this.clock.now() }, current);
    return { offset, metadata };
  }

  /**
   * An explicit reset (the one way an offset may move backwards). `groupEpoch` is the group epoch
   * read when the group was found to have no live members; a fence granted after it means somebody
   * joined since, and the reset must not pull the offset from under them:
   *
   *   reset tool                       state / o#p                      joining member B
   *   read state: no live members (epoch 9)
   *   read o#p (fence A@4, v=7) ───────┤
   *                                    ◀──────── join: p granted to B (since 10), fence B@10 (v=8)
   *                                                                     read offset 40, consume
   *   put o#p offset 0 if v=7: FAILS ─▶ re-read: fence B@10 > 9: the group is active, refuse
   */
  async reset(
    group: string,
    tp: TopicPartition,
    incarnation: string,
    groupEpoch: number,
    offset: number,
    topicId: string,
  ): Promise<"reset" | "active"> {
    const current = await this.read(group, tp);
    const fence = current?.fence ?? null;
    if (fence && fence.incarnation === incarnation && fence.since > groupEpoch) return "active";
    const base: OffsetRecord = current ?? {
      ...tp,
      offset: null,
      topicId: null,
      metadata: "",
      committedAt: null,
      fence: null,
      version: 0,
    };
    await this.write(
      group,
      { ...base, offset, topicId, metadata: "", committedAt: this.clock.now() },
      current,
    );
    return "reset";
  }

  /** Conditional on the version read (or on absence), so every writer above decides on fresh data. */
  private async write(group: string, record: OffsetRecord, current: OffsetRecord | undefined): Promise<void> {
    const item: ManifestItem = {
      pk: groupPk(group),
      sk: offsetSk(record.topic, record.partition),
      version: (current?.version ?? 0) + 1,
      expiresAt: Math.ceil((this.clock.now() + this.retentionMs) / 1000),
      data: recordToData(record),
    };
    await this.manifest.put(
      item,
      current ? { kind: "version", version: current.version } : { kind: "absent" },
    );
  }
}

/**
 * Whether `record`'s offset belongs to the topic incarnation `topicId` (the topic's current one).
 * Items from before incarnations were recorded (topicId null) are taken as current.
 */
export function ofIncarnation(record: OffsetRecord, topicId: string | undefined): boolean {
  return record.topicId === null || record.topicId === topicId;
}

export function sameFence(a: Fence | null, b: Fence): boolean {
  return a !== null && a.incarnation === b.incarnation && a.member === b.member && a.since === b.since;
}

function recordToData(r: OffsetRecord): ItemData {
  return {
    offset: r.offset,
    ...(r.topicId !== null ? { topic_id: r.topicId } : {}),
    metadata: r.metadata,
    committed_at: r.committedAt,
    fence: r.fence
      ? {
          incarnation: r.fence.incarnation,
          member: r.fence.member,
          since: r.fence.since,
          ...(r.fence.topicId !== undefined ? { topic_id: r.fence.topicId } : {}),
        }
      : null,
  };
}

function recordFromItem(tp: TopicPartition, item: ManifestItem): OffsetRecord {
  const d = item.data;
  const offset = d.offset;
  const committedAt = d.committed_at;
  const metadata = d.metadata;
  if (offset !== null && !isCount(offset)) throw corrupt(item, "offset");
  if (committedAt !== null && !Number.isSafeInteger(committedAt)) throw corrupt(item, "committed_at");
  if (typeof metadata !== "string") throw corrupt(item, "metadata");
  const topicId = d.topic_id ?? null;
  if (topicId !== null && typeof topicId !== "string") throw corrupt(item, "topic_id");
  return {
    topic: tp.topic,
    partition: tp.partition,
    offset: offset as number | null,
    topicId,
    metadata,
    committedAt: committedAt as number | null,
    fence: fenceFromData(d.fence, item),
    version: item.version,
  };
}

function fenceFromData(value: unknown, item: ManifestItem): Fence | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "object" || Array.isArray(value)) throw corrupt(item, "fence");
  const f = value as ItemData;
  if (typeof f.incarnation !== "string" || typeof f.member !== "string" || !isCount(f.since))
    throw corrupt(item, "fence");
  if (f.topic_id !== undefined && typeof f.topic_id !== "string") throw corrupt(item, "fence");
  return {
    incarnation: f.incarnation,
    member: f.member,
    since: f.since,
    ...(typeof f.topic_id === "string" ? { topicId: f.topic_id } : {}),
  };
}

function topicPartitionOfSk(sk: string): TopicPartition {
  const rest = sk.slice(offsetPrefix().length);
  const hash = rest.lastIndexOf("#");
  return { topic: rest.slice(0, hash), partition: Number(rest.slice(hash + 1)) };
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

function corrupt(item: ManifestItem, field: string): Error {
  return new Error(`corrupt committed offset item ${item.pk}/${item.sk}: ${field}`);
}
