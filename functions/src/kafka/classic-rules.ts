/**
 * The classic group protocol's state machine, pure: each function takes a copy of the group and
 * the time, changes the copy, and says what to answer. The coordinator (classic-groups.ts) reads
 * the item, runs one of these, writes the item back with a version condition and answers.
 *
 *   Empty ──join──▶ PreparingRebalance ──barrier──▶ CompletingRebalance ──leader sync──▶ Stable
 *                     ▲    (all known members rejoined,      │ (assignments)            │
 *                     │     or the rebalance timeout)        │                          │
 *                     └──── join with new metadata / a member leaves or expires ◀───────┘
 *
 * Error codes and their order follow Kafka's GroupCoordinator (unknown member, then generation,
 * then phase), so clients react exactly as they do against a Kafka broker.
 */

import {
  type ClassicGroup,
  type ClassicLimits,
  type ClassicMember,
  metadataBytes,
  newClassicGroup,
} from "./classic-state.js";
import { KafkaGroupError as E } from "./group-errors.js";
import type { JoinGroupInput, JoinGroupOutput, SyncGroupInput } from "./group-port.js";

export function cloneGroup(g: ClassicGroup): ClassicGroup {
  return structuredClone(g);
}

export function emptyGroup(name: string, incarnation: string, now: number): ClassicGroup {
  return newClassicGroup(name, incarnation, now);
}

/**
 * Applies what time alone decides: pending member ids and members whose session ended drop out
 * (a member waiting in the join barrier is not expired: it is waiting on us), and a barrier whose
 * members have all rejoined, or whose deadline passed, completes. True when anything changed.
 */
export function advance(g: ClassicGroup, now: number, limits: ClassicLimits): boolean {
  let changed = false;
  const pending = g.pending.filter((p) => p.expiresAt > now);
  if (pending.length !== g.pending.length) {
    g.pending = pending;
    changed = true;
  }
  const waiting = new Set(g.rebalance?.joined ?? []);
  const expired = g.members.filter((m) => m.leaseExpiresAt <= now && !waiting.has(m.memberId));
  if (expired.length > 0) {
    removeMembers(g, new Set(expired.map((m) => m.memberId)), now, limits);
    changed = true;
  }
  if (g.phase === "PreparingRebalance" && barrierComplete(g, now)) {
    completeBarrier(g, now);
    changed = true;
  }
  return changed;
}

export function barrierComplete(g: ClassicGroup, now: number): boolean {
  const r = g.rebalance;
  if (!r) return false;
  if (g.members.length === 0 || now >= r.deadline) return true;
  if (now < r.notBefore) return false;
  const joined = new Set(r.joined);
  // Kafka waits for ids handed out with MEMBER_ID_REQUIRED too: their owners are about to join.
  return g.pending.length === 0 && g.members.every((m) => joined.has(m.memberId));
}

/** The deadline at which a barrier closes: the barrier lasts the largest rebalance timeout. */
function startRebalance(g: ClassicGroup, now: number, limits: ClassicLimits, joiner?: ClassicMember): void {
  const initial = g.phase === "Empty";
  const timeouts = [...g.members, ...(joiner ? [joiner] : [])].map((m) => m.rebalanceTimeoutMs);
  const timeoutMs = Math.min(limits.maxRebalanceTimeoutMs, Math.max(0, ...timeouts));
  g.phase = "PreparingRebalance";
  g.rebalance = {
    joined: [],
    deadline: now + timeoutMs,
    notBefore: initial ? now + Math.min(limits.initialRebalanceDelayMs, timeoutMs) : 0,
  };
}

/** Closes the barrier: members that did not rejoin are dropped, the first to rejoin leads. */
function completeBarrier(g: ClassicGroup, now: number): void {
  const joined = g.rebalance?.joined ?? [];
  const byId = new Map(g.members.map((m) => [m.memberId, m]));
  g.members = joined.map((id) => byId.get(id)).filter((m): m is ClassicMember => m !== undefined);
  g.generation++;
  g.rebalance = null;
  if (g.members.length === 0) {
    g.phase = "Empty";
    g.protocolName = null;
    g.leader = null;
    return;
  }
  g.phase = "CompletingRebalance";
  g.protocolName = selectProtocol(g.members);
  g.leader = g.members[0]!.memberId;
  for (const m of g.members) {
    m.generation = g.generation;
    m.assignment = new Uint8Array();
    m.leaseExpiresAt = now + m.sessionTimeoutMs;
  }
}

/** Kafka's vote: among the protocols every member supports, each votes for its first; most votes wins. */
export function selectProtocol(members: readonly ClassicMember[]): string {
  const candidates = commonProtocols(members.map((m) => m.protocols.map((p) => p.name)));
  const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
  for (const m of members) {
    const choice = m.protocols.find((p) => votes.has(p.name));
    if (choice) votes.set(choice.name, votes.get(choice.name)! + 1);
  }
  let best = candidates[0]!;
  for (const c of candidates) if (votes.get(c)! > votes.get(best)!) best = c;
  return best;
}

function commonProtocols(lists: readonly string[][]): string[] {
  const [first, ...rest] = lists;
  if (!first) return [];
  return first.filter((name) => rest.every((l) => l.includes(name)));
}

function removeMembers(g: ClassicGroup, ids: Set<string>, now: number, limits: ClassicLimits): void {
  g.members = g.members.filter((m) => !ids.has(m.memberId));
  if (g.rebalance) g.rebalance.joined = g.rebalance.joined.filter((id) => !ids.has(id));
  if (g.phase === "Stable" || g.phase === "CompletingRebalance") {
    if (g.members.length === 0) {
      g.generation++;
      g.phase = "Empty";
      g.protocolName = null;
      g.leader = null;
    } else startRebalance(g, now, limits);
  }
}

export type JoinDecision =
  | { kind: "reply"; output: JoinGroupOutput }
  /** Wait until the member is included in a generation after `since`. */
  | { kind: "wait"; memberId: string; since: number };

/** A JoinGroup answer carrying only an error (Kafka's grammar still needs every field). */
export function joinFailure(errorCode: number, memberId = ""): JoinGroupOutput {
  return {
    errorCode,
    generationId: -1,
    protocolType: null,
    protocolName: null,
    leader: "",
    memberId,
    members: [],
  };
}

function joinError(errorCode: number, memberId = ""): JoinDecision {
  return { kind: "reply", output: joinFailure(errorCode, memberId) };
}

function sameProtocols(a: ClassicMember["protocols"], b: ClassicMember["protocols"]): boolean {
  return (
    a.length === b.length &&
    a.every(
      (p, i) =>
        p.name === b[i]!.name &&
        p.metadata.length === b[i]!.metadata.length &&
        p.metadata.every((x, j) => x === b[i]!.metadata[j]),
    )
  );
}

/** JoinGroup. `newId` issues member ids (clientId-uuid, as Kafka does). */
export function applyJoin(
  g: ClassicGroup,
  input: JoinGroupInput,
  now: number,
  limits: ClassicLimits,
  newId: () => string,
): JoinDecision {
  const since = g.generation;
  if (input.protocolType === "" || input.protocols.length === 0)
    return joinError(E.INCONSISTENT_GROUP_PROTOCOL);
  if (
    input.sessionTimeoutMs < limits.minSessionTimeoutMs ||
    input.sessionTimeoutMs > limits.maxSessionTimeoutMs
  )
    return joinError(E.INVALID_SESSION_TIMEOUT);
  if (metadataBytes(input.protocols) > limits.maxMemberMetadataBytes) return joinError(E.MESSAGE_TOO_LARGE);
  const others = g.members.filter((m) => m.memberId !== input.memberId);
  if (others.length > 0) {
    const names = input.protocols.map((p) => p.name);
    if (
      input.protocolType !== g.protocolType ||
      commonProtocols([names, ...others.map((m) => m.protocols.map((p) => p.name))]).length === 0
    )
      return joinError(E.INCONSISTENT_GROUP_PROTOCOL);
  }
  const byInstance =
    input.groupInstanceId === null
      ? undefined
      : g.members.find((m) => m.groupInstanceId === input.groupInstanceId);
  let member: ClassicMember | undefined;
  let isNew = false;
  if (input.memberId === "") {
    const memberId = newId();
    if (byInstance) {
      // A static member restarting: it takes its old place under a new id; the old id is fenced.
      renameMember(g, byInstance.memberId, memberId);
      member = byInstance;
    } else if (input.groupInstanceId === null && input.apiVersion >= 4) {
      if (g.members.length + g.pending.length >= limits.maxMembers)
        return joinError(E.GROUP_MAX_SIZE_REACHED);
      g.pending.push({ memberId, expiresAt: now + input.sessionTimeoutMs });
      return joinError(E.MEMBER_ID_REQUIRED, memberId);
    } else {
      if (g.members.length + g.pending.length >= limits.maxMembers)
        return joinError(E.GROUP_MAX_SIZE_REACHED);
      member = addMember(g, memberId, input, now);
      isNew = true;
    }
  } else {
    member = g.members.find((m) => m.memberId === input.memberId);
    if (byInstance && byInstance !== member) return joinError(E.FENCED_INSTANCE_ID, input.memberId);
    if (!member) {
      const pending = g.pending.findIndex((p) => p.memberId === input.memberId);
      if (pending < 0) return joinError(E.UNKNOWN_MEMBER_ID, input.memberId);
      g.pending.splice(pending, 1);
      member = addMember(g, input.memberId, input, now);
      isNew = true;
    } else if (member.groupInstanceId !== input.groupInstanceId) {
      return joinError(E.FENCED_INSTANCE_ID, input.memberId);
    }
  }
  const unchanged = !isNew && sameProtocols(member.protocols, input.protocols);
  member.protocols = input.protocols.map((p) => ({ name: p.name, metadata: p.metadata.slice() }));
  member.sessionTimeoutMs = input.sessionTimeoutMs;
  member.rebalanceTimeoutMs = input.rebalanceTimeoutMs;
  member.clientId = input.clientId;
  member.clientHost = input.clientHost;
  g.protocolType = input.protocolType;
  const rejoin = (): void => {
    if (g.phase !== "PreparingRebalance") startRebalance(g, now, limits, member);
    if (!g.rebalance!.joined.includes(member.memberId)) g.rebalance!.joined.push(member.memberId);
  };
  if (g.phase === "Stable" && unchanged && member.memberId !== g.leader) {
    // Nothing to rebalance for (a follower that lost its join response): the current generation.
    member.leaseExpiresAt = now + member.sessionTimeoutMs;
    return { kind: "reply", output: joinReply(g, member.memberId) };
  }
  if (g.phase === "CompletingRebalance" && unchanged) {
    member.leaseExpiresAt = now + member.sessionTimeoutMs;
    return { kind: "reply", output: joinReply(g, member.memberId) };
  }
  rejoin();
  if (barrierComplete(g, now)) completeBarrier(g, now);
  return { kind: "wait", memberId: member.memberId, since };
}

function addMember(g: ClassicGroup, memberId: string, input: JoinGroupInput, now: number): ClassicMember {
  const m: ClassicMember = {
    memberId,
    groupInstanceId: input.groupInstanceId,
    clientId: input.clientId,
    clientHost: input.clientHost,
    sessionTimeoutMs: input.sessionTimeoutMs,
    rebalanceTimeoutMs: input.rebalanceTimeoutMs,
    protocols: [],
    assignment: new Uint8Array(),
    leaseExpiresAt: now + input.sessionTimeoutMs,
    generation: 0,
  };
  g.members.push(m);
  return m;
}

function renameMember(g: ClassicGroup, from: string, to: string): void {
  const m = g.members.find((x) => x.memberId === from);
  if (m) m.memberId = to;
  if (g.leader === from) g.leader = to;
  if (g.rebalance) g.rebalance.joined = g.rebalance.joined.map((id) => (id === from ? to : id));
}

/** The JoinGroup answer for a member of the current generation (the leader gets everyone's metadata). */
export function joinReply(g: ClassicGroup, memberId: string): JoinGroupOutput {
  const m = g.members.find((x) => x.memberId === memberId);
  const isLeader = memberId === g.leader;
  return {
    errorCode: E.NONE,
    generationId: m?.generation ?? g.generation,
    protocolType: g.protocolType,
    protocolName: g.protocolName,
    leader: g.leader ?? "",
    memberId,
    members: isLeader
      ? g.members.map((x) => ({
          memberId: x.memberId,
          groupInstanceId: x.groupInstanceId,
          metadata: x.protocols.find((p) => p.name === g.protocolName)?.metadata ?? new Uint8Array(),
        }))
      : [],
  };
}

/** What a waiting JoinGroup answers once the group moved on, or undefined while it must wait. */
export function joinOutcome(
  g: ClassicGroup | undefined,
  memberId: string,
  since: number,
): JoinGroupOutput | undefined {
  const m = g?.members.find((x) => x.memberId === memberId);
  if (!g || !m) return joinFailure(E.UNKNOWN_MEMBER_ID, memberId);
  if (m.generation > since) return joinReply(g, memberId);
  return undefined;
}

export type SyncDecision =
  | { kind: "reply"; errorCode: number; assignment: Uint8Array }
  /** The leader's assignments were applied to the group: fence, write, then answer. */
  | { kind: "leader"; assignment: Uint8Array }
  /** A follower waits for the leader's sync; `renewed` when its lease was renewed (write it). */
  | { kind: "wait"; renewed: boolean };

function findMember(g: ClassicGroup | undefined, memberId: string): ClassicMember | undefined {
  return g?.members.find((m) => m.memberId === memberId);
}

/** The checks every member request shares, in Kafka's order. */
export function memberCheck(
  g: ClassicGroup | undefined,
  memberId: string,
  groupInstanceId: string | null,
  generationId: number,
): number {
  if (groupInstanceId !== null) {
    const byInstance = g?.members.find((m) => m.groupInstanceId === groupInstanceId);
    if (byInstance && byInstance.memberId !== memberId) return E.FENCED_INSTANCE_ID;
  }
  const m = findMember(g, memberId);
  if (!g || !m) return E.UNKNOWN_MEMBER_ID;
  if (generationId !== g.generation) return E.ILLEGAL_GENERATION;
  return E.NONE;
}

export function applySync(
  g: ClassicGroup | undefined,
  input: SyncGroupInput,
  now: number,
  limits: ClassicLimits,
): SyncDecision {
  const none = new Uint8Array();
  const check = memberCheck(g, input.memberId, input.groupInstanceId, input.generationId);
  if (check !== E.NONE || !g) return { kind: "reply", errorCode: check, assignment: none };
  if (
    (input.protocolType !== null && input.protocolType !== g.protocolType) ||
    (input.protocolName !== null && input.protocolName !== g.protocolName)
  )
    return { kind: "reply", errorCode: E.INCONSISTENT_GROUP_PROTOCOL, assignment: none };
  const m = findMember(g, input.memberId)!;
  if (g.phase === "PreparingRebalance")
    return { kind: "reply", errorCode: E.REBALANCE_IN_PROGRESS, assignment: none };
  if (g.phase === "Stable") return { kind: "reply", errorCode: E.NONE, assignment: m.assignment };
  // CompletingRebalance
  const renewed = renewLease(m, now);
  if (m.memberId !== g.leader) return { kind: "wait", renewed };
  const given = new Map<string, Uint8Array>();
  for (const a of input.assignments) {
    if (a.assignment.length > limits.maxAssignmentBytes)
      return { kind: "reply", errorCode: E.MESSAGE_TOO_LARGE, assignment: none };
    given.set(a.memberId, a.assignment);
  }
  for (const x of g.members) x.assignment = given.get(x.memberId)?.slice() ?? new Uint8Array();
  g.phase = "Stable";
  return { kind: "leader", assignment: m.assignment };
}

/** What a waiting follower's SyncGroup answers once the leader synced or the group moved on. */
export function syncOutcome(
  g: ClassicGroup | undefined,
  memberId: string,
  generation: number,
): { errorCode: number; assignment: Uint8Array } | undefined {
  const m = findMember(g, memberId);
  if (!g || !m) return { errorCode: E.UNKNOWN_MEMBER_ID, assignment: new Uint8Array() };
  if (g.generation !== generation || g.phase === "PreparingRebalance")
    return { errorCode: E.REBALANCE_IN_PROGRESS, assignment: new Uint8Array() };
  if (g.phase === "Stable") return { errorCode: E.NONE, assignment: m.assignment };
  return undefined;
}

/**
 * Heartbeat. The lease is written only once less than half of it is left, so a member heartbeating
 * at least every half session (every client's default is a tenth to a third) costs one write per
 * half session instead of one per heartbeat.
 */
export function applyHeartbeat(
  g: ClassicGroup | undefined,
  input: { memberId: string; groupInstanceId: string | null; generationId: number },
  now: number,
): { errorCode: number; changed: boolean } {
  const check = memberCheck(g, input.memberId, input.groupInstanceId, input.generationId);
  if (check !== E.NONE || !g) return { errorCode: check, changed: false };
  const changed = renewLease(findMember(g, input.memberId)!, now);
  return { errorCode: g.phase === "PreparingRebalance" ? E.REBALANCE_IN_PROGRESS : E.NONE, changed };
}

/** Renews a lease once less than half of it is left (see applyHeartbeat); true when it did. */
function renewLease(m: ClassicMember, now: number): boolean {
  if (m.leaseExpiresAt - now >= m.sessionTimeoutMs / 2) return false;
  m.leaseExpiresAt = now + m.sessionTimeoutMs;
  return true;
}

export function applyLeave(
  g: ClassicGroup,
  leaving: readonly { memberId: string; groupInstanceId: string | null }[],
  now: number,
  limits: ClassicLimits,
): number[] {
  const gone = new Set<string>();
  const codes = leaving.map((l) => {
    const m =
      l.groupInstanceId !== null
        ? g.members.find((x) => x.groupInstanceId === l.groupInstanceId)
        : g.members.find((x) => x.memberId === l.memberId);
    if (m && l.groupInstanceId !== null && l.memberId !== "" && m.memberId !== l.memberId)
      return E.FENCED_INSTANCE_ID;
    if (m) {
      gone.add(m.memberId);
      return E.NONE;
    }
    const pending = g.pending.findIndex((p) => p.memberId === l.memberId);
    if (pending >= 0) {
      g.pending.splice(pending, 1);
      return E.NONE;
    }
    return E.UNKNOWN_MEMBER_ID;
  });
  if (gone.size > 0) removeMembers(g, gone, now, limits);
  if (g.phase === "PreparingRebalance" && barrierComplete(g, now)) completeBarrier(g, now);
  return codes;
}
