/**
 * The group's state machine, pure: each function takes the state read from the manifest and
 * returns the state to write back. The coordinator turns one request into one of these plus one
 * conditional write, so any agent can serve any request.
 *
 * Incremental handover (KIP-848): the assignor's target may move partition p from A to B, but B is
 * granted p only once nobody holds it:
 *
 *   group epoch   A (holds p)                        coordinator                        B
 *        7        ─────── heartbeat ───────────────▶  target moves p to B;
 *                 ◀────── gen 7, assignment {} ─────  p: A.assigned -> A.revoking (revokedAt 7)
 *                 stop p, commit its offset
 *                 ─────── heartbeat gen 7, owned {} ▶ gen 7 >= revokedAt and p not owned:
 *                                                     p released; granted to B (since 8)
 *        8                                            ◀──────────────────────────── heartbeat
 *                                                     ──── gen 8, assignment {p} ──▶ start p
 *
 * Only a heartbeat whose generation is at least the revocation's epoch can release: the member has
 * then seen the revocation, and a member acquires partitions only from assignments, so "not owned"
 * at that generation means "let go for good". A lease that ends releases everything the member held.
 */
import { FloeError } from "../../../client/src/errors.js";
import { assignTargets, compareTopicPartitions, partitionId, type TopicPartition } from "./assignment.js";
import {
  assertStateInvariants,
  type GroupMember,
  type GroupState,
  type HeldPartition,
  isLive,
  type RevokingPartition,
} from "./group-state.js";

/** Partition counts of the topics the members subscribe to (missing: the topic does not exist). */
export type PartitionCounts = ReadonlyMap<string, number>;

export interface JoinSpec {
  memberId: string;
  topics: string[];
  sessionTimeoutMs: number;
}

export function applyJoin(
  state: GroupState,
  join: JoinSpec,
  now: number,
  counts: PartitionCounts,
): GroupState {
  const member: GroupMember = {
    id: join.memberId,
    topics: [...new Set(join.topics)].sort(),
    sessionTimeoutMs: join.sessionTimeoutMs,
    leaseExpiresAt: now + join.sessionTimeoutMs,
    epoch: 0,
    joinedAt: now,
    target: [],
    assigned: [],
    revoking: [],
  };
  return reconcile({ ...state, members: [...state.members, member] }, now, counts);
}

export interface HeartbeatSpec {
  memberId: string;
  generation: number;
  /** What the member holds now. */
  owned: readonly TopicPartition[];
}

/** Renews the lease, applies releases, reconciles. Throws for an unknown or fenced member. */
export function applyHeartbeat(
  state: GroupState,
  beat: HeartbeatSpec,
  now: number,
  counts: PartitionCounts,
): GroupState {
  const member = liveMember(state, beat.memberId, now);
  if (beat.generation > member.epoch) {
    // A generation the coordinator never gave this member: its view cannot be trusted.
    throw new FloeError(
      "stale_generation",
      `generation ${beat.generation} was never issued to member ${member.id}; rejoin`,
      {
        generation: member.epoch,
      },
    );
  }
  const owned = new Set(beat.owned.map(partitionId));
  const renewed: GroupMember = {
    ...member,
    leaseExpiresAt: now + member.sessionTimeoutMs,
    revoking: member.revoking.filter((r) => beat.generation < r.revokedAt || owned.has(partitionId(r))),
  };
  return reconcile(replaceMember(state, renewed), now, counts);
}

/** The member leaves: whatever it held is free at once (it promises to hold nothing). */
export function applyLeave(
  state: GroupState,
  memberId: string,
  now: number,
  counts: PartitionCounts,
): GroupState {
  liveMember(state, memberId, now);
  return reconcile({ ...state, members: state.members.filter((m) => m.id !== memberId) }, now, counts);
}

export function liveMember(state: GroupState, memberId: string, now: number): GroupMember {
  const member = state.members.find((m) => m.id === memberId);
  if (!member || !isLive(member, now)) {
    throw new FloeError(
      "member_not_found",
      `member ${memberId} is not in group ${state.name} (it left or its lease expired); rejoin`,
      {
        group: state.name,
        member_id: memberId,
      },
    );
  }
  return member;
}

/**
 * Drops expired members, recomputes the target and moves every member one step towards it:
 * revokes what it should no longer have, grants what nobody holds. The group epoch goes up when
 * membership or any member's assignment changes; so does the epoch of each member whose
 * assignment changed.
 */
export function reconcile(state: GroupState, now: number, counts: PartitionCounts): GroupState {
  const live = state.members.filter((m) => isLive(m, now));
  const epoch = state.epoch + 1;
  const targets = assignTargets(
    counts,
    live.map((m) => ({ id: m.id, topics: m.topics, previous: m.target })),
  );

  // Revoke first, so the holders map below sees every partition still held by someone.
  const stepped = live.map((m) => {
    const target = targets.get(m.id) ?? [];
    const wanted = new Set(target.map(partitionId));
    const assigned: HeldPartition[] = [];
    const revoking: RevokingPartition[] = [];
    for (const a of m.assigned) {
      if (wanted.has(partitionId(a))) assigned.push(a);
      else revoking.push({ ...a, revokedAt: epoch });
    }
    for (const r of m.revoking) {
      // Wanted back before it was released: it never left this member, so the grant (and its
      // fence) of `since` still stands.
      if (wanted.has(partitionId(r)))
        assigned.push({ topic: r.topic, partition: r.partition, since: r.since });
      else revoking.push(r);
    }
    return { before: m, member: { ...m, target, assigned, revoking } };
  });

  const held = new Set(
    stepped.flatMap(({ member }) => [...member.assigned, ...member.revoking].map(partitionId)),
  );
  for (const { member } of stepped) {
    for (const tp of member.target) {
      const id = partitionId(tp);
      if (held.has(id)) continue;
      held.add(id);
      member.assigned.push({ topic: tp.topic, partition: tp.partition, since: epoch });
    }
    member.assigned.sort(compareTopicPartitions);
    member.revoking.sort(compareTopicPartitions);
  }

  let changed = live.length !== state.members.length;
  const members = stepped.map(({ before, member }) => {
    if (before.epoch === 0 || !samePartitions(before.assigned, member.assigned)) {
      changed = true;
      return { ...member, epoch };
    }
    return member;
  });
  const next: GroupState = { ...state, members, epoch: changed ? epoch : state.epoch };
  assertStateInvariants(next);
  return next;
}

function replaceMember(state: GroupState, member: GroupMember): GroupState {
  return { ...state, members: state.members.map((m) => (m.id === member.id ? member : m)) };
}

function samePartitions(a: readonly TopicPartition[], b: readonly TopicPartition[]): boolean {
  if (a.length !== b.length) return false;
  const ids = new Set(a.map(partitionId));
  return b.every((tp) => ids.has(partitionId(tp)));
}

/** `[{topic, partitions}]` as the API shows assignments, topics and partitions sorted. */
export function groupByTopic(list: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const out = new Map<string, number[]>();
  for (const tp of [...list].sort(compareTopicPartitions)) {
    const partitions = out.get(tp.topic) ?? [];
    partitions.push(tp.partition);
    out.set(tp.topic, partitions);
  }
  return [...out].map(([topic, partitions]) => ({ topic, partitions }));
}
