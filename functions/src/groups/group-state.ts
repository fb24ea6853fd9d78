/**
 * A consumer group's state item: everything about membership and assignment lives in this one
 * item, so every membership change is one conditional write (see group-store.ts).
 *
 * Epochs. `epoch` is the group epoch: it goes up by one with every write that changes membership
 * or any member's assignment. A member's `epoch` (its "generation" in the API) is the group epoch
 * of the last write that changed that member's assignment. Each partition a member holds carries
 * `since`, the group epoch at which it was granted: per partition, successive holders have strictly
 * increasing `since` values, which is what orders the fences in offset items.
 *
 * Field names inside the item are snake_case so the table reads well in the DynamoDB console.
 */
import type { ItemData, ManifestItem } from "../ports/manifest-store.js";
import { compareTopicPartitions, partitionId, type TopicPartition } from "./assignment.js";
import { GROUP_STATE_SK, groupPk } from "./group-keys.js";

/** A partition a member may hold, granted at group epoch `since`. */
export interface HeldPartition extends TopicPartition {
  since: number;
}

/** A partition taken out of a member's assignment at `revokedAt` that it has not yet released. */
export interface RevokingPartition extends HeldPartition {
  revokedAt: number;
}

export interface GroupMember {
  id: string;
  /** Subscribed topics, sorted, without duplicates. */
  topics: string[];
  sessionTimeoutMs: number;
  /** Clock ms at which the lease ends unless renewed. */
  leaseExpiresAt: number;
  /** The member's generation; 0 only for a member not yet reconciled. */
  epoch: number;
  joinedAt: number;
  /** Where the assignor wants this member (may include partitions others still hold). */
  target: TopicPartition[];
  /** What the member may hold now: the assignment it is told. */
  assigned: HeldPartition[];
  /** No longer assigned but maybe still held: nobody else gets these until released or expired. */
  revoking: RevokingPartition[];
}

export interface GroupState {
  name: string;
  /** Random per creation of the state item (a group removed by TTL and joined again is a new one). */
  incarnation: string;
  epoch: number;
  createdAt: number;
  /** The registry entry is known to live (TTL) at least until then. */
  listedUntil: number;
  members: GroupMember[];
  /** Item version for the compare-and-set; 0 when the item does not exist yet. */
  version: number;
}

export function newGroupState(name: string, incarnation: string, now: number): GroupState {
  return { name, incarnation, epoch: 0, createdAt: now, listedUntil: 0, members: [], version: 0 };
}

export function isLive(member: GroupMember, now: number): boolean {
  return now < member.leaseExpiresAt;
}

/** Every partition held (assigned or revoking) by a member of `members`, with its holder. */
export function holders(members: readonly GroupMember[]): Map<string, GroupMember> {
  const out = new Map<string, GroupMember>();
  for (const m of members) for (const tp of [...m.assigned, ...m.revoking]) out.set(partitionId(tp), m);
  return out;
}

/**
 * The invariant the whole design exists for: no partition is held by two members. Asserted
 * before every write and after every read; a violation is a bug, never a user error.
 */
export function assertStateInvariants(state: GroupState): void {
  const seen = new Set<string>();
  const ids = new Set<string>();
  for (const m of state.members) {
    if (ids.has(m.id)) throw new Error(`group ${state.name}: member ${m.id} appears twice`);
    ids.add(m.id);
    if (m.epoch > state.epoch)
      throw new Error(`group ${state.name}: member ${m.id} epoch ${m.epoch} > group epoch ${state.epoch}`);
    for (const tp of [...m.assigned, ...m.revoking]) {
      const id = partitionId(tp);
      if (seen.has(id)) throw new Error(`group ${state.name}: partition ${id} is held by two members`);
      seen.add(id);
      if (tp.since > state.epoch)
        throw new Error(`group ${state.name}: ${id} granted at ${tp.since} > epoch ${state.epoch}`);
    }
  }
}

// ---- item codec ---------------------------------------------------------------------------------

/** Clock ms until which the state must survive: `retentionMs` after the last lease ends. */
export function retainUntil(state: GroupState, retentionMs: number): number {
  return Math.max(state.createdAt, ...state.members.map((m) => m.leaseExpiresAt)) + retentionMs;
}

/**
 * Item layout (field names snake_case for the DynamoDB console):
 *   incarnation S, epoch N, created_at N, listed_until N,
 *   topics  L of S   every topic name the members refer to, sorted, each stored once
 *   members L of M   id, topics (L of N: indices into `topics`), session_timeout_ms,
 *                    lease_expires_at, epoch, joined_at, and per topic index ("3"):
 *                    target {"3": [p]}, assigned {"3": [[p, since]]},
 *                    revoking {"3": [[p, since, revokedAt]]}
 * Names appear once in the item, however many members subscribe to them or hold their
 * partitions: that is what bounds the item at the documented limits (test/groups/group-state-budget.test.ts and
 * docs/design/groups.md § Item budget). Map keys are indices we issue, never client strings.
 * Items written before the topic table (names in place of indices) are still read.
 */
export function stateToItem(state: GroupState, retentionMs: number): ManifestItem {
  assertStateInvariants(state);
  const names = new Set<string>();
  for (const m of state.members) {
    for (const t of m.topics) names.add(t);
    for (const tp of [...m.target, ...m.assigned, ...m.revoking]) names.add(tp.topic);
  }
  const topics = [...names].sort();
  const index = new Map(topics.map((t, i) => [t, i]));
  return {
    pk: groupPk(state.name),
    sk: GROUP_STATE_SK,
    version: state.version + 1,
    expiresAt: Math.ceil(retainUntil(state, retentionMs) / 1000),
    data: {
      incarnation: state.incarnation,
      epoch: state.epoch,
      created_at: state.createdAt,
      listed_until: state.listedUntil,
      topics,
      members: state.members.map((m) => memberToData(m, index)),
    },
  };
}

export function stateFromItem(name: string, item: ManifestItem): GroupState {
  const d = item.data;
  const members = d.members;
  if (!Array.isArray(members)) throw corrupt("members");
  const topicOf = topicResolver(d.topics);
  const state: GroupState = {
    name,
    incarnation: str(d, "incarnation"),
    epoch: int(d, "epoch"),
    createdAt: int(d, "created_at"),
    listedUntil: int(d, "listed_until"),
    members: members.map((m) => memberFromData(object(m, "member"), topicOf)),
    version: item.version,
  };
  assertStateInvariants(state);
  return state;
}

/** Index (number, or its string as a map key) to name; names themselves in the older layout. */
type TopicResolver = (ref: unknown) => string;

function topicResolver(table: unknown): TopicResolver {
  if (table === undefined) {
    return (ref) => {
      if (typeof ref !== "string") throw corrupt("topics");
      return ref;
    };
  }
  if (!Array.isArray(table) || !table.every((t) => typeof t === "string")) throw corrupt("topics");
  const names = table as string[];
  return (ref) => {
    const i = typeof ref === "string" && /^\d+$/.test(ref) ? Number(ref) : ref;
    const topic = typeof i === "number" ? names[i] : undefined;
    if (topic === undefined) throw corrupt("topics");
    return topic;
  };
}

function memberToData(m: GroupMember, index: ReadonlyMap<string, number>): ItemData {
  return {
    id: m.id,
    topics: m.topics.map((t) => index.get(t)!),
    session_timeout_ms: m.sessionTimeoutMs,
    lease_expires_at: m.leaseExpiresAt,
    epoch: m.epoch,
    joined_at: m.joinedAt,
    target: byTopic(m.target, index, (tp) => tp.partition),
    assigned: byTopic(m.assigned, index, (tp) => [tp.partition, tp.since]),
    revoking: byTopic(m.revoking, index, (tp) => [tp.partition, tp.since, tp.revokedAt]),
  };
}

function memberFromData(d: ItemData, topicOf: TopicResolver): GroupMember {
  const topics = d.topics;
  if (!Array.isArray(topics)) throw corrupt("topics");
  return {
    id: str(d, "id"),
    topics: topics.map(topicOf),
    sessionTimeoutMs: int(d, "session_timeout_ms"),
    leaseExpiresAt: int(d, "lease_expires_at"),
    epoch: int(d, "epoch"),
    joinedAt: int(d, "joined_at"),
    target: fromTopics(d, "target", 1, topicOf).map(([topic, p]) => ({ topic, partition: p! })),
    assigned: fromTopics(d, "assigned", 2, topicOf).map(([topic, p, since]) => ({
      topic,
      partition: p!,
      since: since!,
    })),
    revoking: fromTopics(d, "revoking", 3, topicOf).map(([topic, p, since, at]) => ({
      topic,
      partition: p!,
      since: since!,
      revokedAt: at!,
    })),
  };
}

function byTopic<T extends TopicPartition>(
  list: readonly T[],
  index: ReadonlyMap<string, number>,
  encode: (tp: T) => number | number[],
): ItemData {
  const out = new Map<string, (number | number[])[]>();
  for (const tp of [...list].sort(compareTopicPartitions)) {
    const key = String(index.get(tp.topic)!);
    const entries = out.get(key) ?? [];
    entries.push(encode(tp));
    out.set(key, entries);
  }
  return Object.fromEntries(out);
}

/** Decodes `{topic: [p] | [[p, a, b]]}` into `[topic, p, a, b]` tuples of `width` numbers. */
function fromTopics(
  d: ItemData,
  field: string,
  width: number,
  topicOf: TopicResolver,
): [string, ...number[]][] {
  const map = object(d[field], field);
  const out: [string, ...number[]][] = [];
  for (const [ref, entries] of Object.entries(map)) {
    if (!Array.isArray(entries)) throw corrupt(field);
    const topic = topicOf(ref);
    for (const entry of entries) {
      const numbers = width === 1 ? [entry] : entry;
      if (
        !Array.isArray(numbers) ||
        numbers.length !== width ||
        !numbers.every((n) => Number.isSafeInteger(n))
      ) {
        throw corrupt(field);
      }
      out.push([topic, ...(numbers as number[])]);
    }
  }
  return out;
}

function object(value: unknown, field: string): ItemData {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw corrupt(field);
  return value as ItemData;
}

function int(d: ItemData, field: string): number {
  const value = d[field];
  if (typeof value !== "number" || !Number.isSafeInteger(value)) throw corrupt(field);
  return value;
}

function str(d: ItemData, field: string): string {
  const value = d[field];
  if (typeof value !== "string") throw corrupt(field);
  return value;
}

function corrupt(field: string): Error {
  return new Error(`corrupt group state item: ${field}`);
}
