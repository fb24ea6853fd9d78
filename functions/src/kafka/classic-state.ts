/**
 * A Kafka classic group's durable state: one manifest item, `g#<group>` / `classic`, beside the HTTP
 * protocol's `state` item and the shared committed-offset items (docs/design/kafka-groups.md).
 * Every change is one version-conditional write of this item, so the state is the same whichever
 * agent serves the group, and a coordinator that dies loses nothing but its waiting requests.
 *
 * Member metadata and assignments are client bytes: stored base64, bounded per member and in
 * total (`ClassicLimits`) so the item stays far below DynamoDB's 400 KB.
 */
import { groupPk } from "../groups/group-keys.js";
import type { ItemData, ManifestItem } from "../ports/manifest-store.js";

export const CLASSIC_STATE_SK = "classic";

/** Kafka's names for the states of a classic group. */
export type ClassicPhase = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable";

export interface ClassicMember {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  /** The protocols of its last JoinGroup, in its order of preference. */
  protocols: { name: string; metadata: Uint8Array }[];
  /** What the leader's SyncGroup gave it in `generation` (empty until then). */
  assignment: Uint8Array;
  /** Clock ms at which the member is expired unless it heartbeats. */
  leaseExpiresAt: number;
  /** The generation whose barrier last included this member. */
  generation: number;
}

/** A member id handed out with MEMBER_ID_REQUIRED that has not joined with it yet. */
export interface PendingMember {
  memberId: string;
  expiresAt: number;
}

/** The join barrier in progress (phase PreparingRebalance). */
export interface Rebalance {
  /** Members that sent JoinGroup in this rebalance, in order: the first one leads. */
  joined: string[];
  /** The barrier closes now at the latest: members that did not rejoin are dropped. */
  deadline: number;
  /** Kafka's group.initial.rebalance.delay.ms: a new group waits for others to join first. */
  notBefore: number;
}

export interface ClassicGroup {
  name: string;
  /** Random per creation (a deleted and re-created group is a new one): names its fences. */
  incarnation: string;
  generation: number;
  phase: ClassicPhase;
  protocolType: string | null;
  protocolName: string | null;
  leader: string | null;
  /** In the order they first joined. */
  members: ClassicMember[];
  pending: PendingMember[];
  rebalance: Rebalance | null;
  createdAt: number;
  /** The registry entry (`groups` / `g#<group>`) is known to live (TTL) at least until then. */
  listedUntil: number;
  /** Item version for the compare-and-set; 0 when the item does not exist yet. */
  version: number;
}

export interface ClassicLimits {
  /** Members and pending member ids together (Kafka's group.max.size). */
  maxMembers: number;
  /** Sum of one member's protocol metadata bytes. */
  maxMemberMetadataBytes: number;
  /** One member's assignment bytes. */
  maxAssignmentBytes: number;
  /** The encoded state item (DynamoDB's limit is 400 KB; keys, names and base64 included). */
  maxItemBytes: number;
  /** Kafka's group.min/max.session.timeout.ms. */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** Kafka's group.initial.rebalance.delay.ms. */
  initialRebalanceDelayMs: number;
  /** The longest a join barrier waits, whatever rebalance timeout members ask for. */
  maxRebalanceTimeoutMs: number;
  /** Kafka's offset.metadata.max.bytes. */
  maxOffsetMetadataBytes: number;
  /** Partitions in one OffsetCommit / OffsetFetch / OffsetDelete. */
  maxPartitionsPerRequest: number;
  /** Groups in one DescribeGroups / DeleteGroups. */
  maxGroupsPerRequest: number;
  /** Kafka's offsets.retention.minutes: TTL of the items after the group's last activity. */
  retentionMs: number;
  /** A group operation whose writes keep losing races answers COORDINATOR_NOT_AVAILABLE after this. */
  opTimeoutMs: number;
}

export const DEFAULT_CLASSIC_LIMITS: ClassicLimits = {
  maxMembers: 100,
  maxMemberMetadataBytes: 16 * 1024,
  maxAssignmentBytes: 16 * 1024,
  maxItemBytes: 350_000,
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 30 * 60_000,
  initialRebalanceDelayMs: 3_000,
  maxRebalanceTimeoutMs: 30 * 60_000,
  maxOffsetMetadataBytes: 4096,
  maxPartitionsPerRequest: 4096,
  maxGroupsPerRequest: 256,
  retentionMs: 7 * 24 * 60 * 60_000,
  opTimeoutMs: 5_000,
};

export function newClassicGroup(name: string, incarnation: string, now: number): ClassicGroup {
  return {
    name,
    incarnation,
    generation: 0,
    phase: "Empty",
    protocolType: null,
    protocolName: null,
    leader: null,
    members: [],
    pending: [],
    rebalance: null,
    createdAt: now,
    listedUntil: 0,
    version: 0,
  };
}

export function metadataBytes(protocols: readonly { name: string; metadata: Uint8Array }[]): number {
  return protocols.reduce((n, p) => n + p.metadata.length + Buffer.byteLength(p.name), 0);
}

/** When the item may be removed by TTL: `retention` after the last lease could end. */
export function retainUntil(g: ClassicGroup, retentionMs: number, now: number): number {
  const last = Math.max(now, ...g.members.map((m) => m.leaseExpiresAt), g.rebalance?.deadline ?? 0);
  return last + retentionMs;
}

export function groupToItem(g: ClassicGroup, retentionMs: number, now: number): ManifestItem {
  const data: ItemData = {
    incarnation: g.incarnation,
    generation: g.generation,
    phase: g.phase,
    protocol_type: g.protocolType,
    protocol_name: g.protocolName,
    leader: g.leader,
    members: g.members.map((m) => ({
      id: m.memberId,
      instance: m.groupInstanceId,
      client_id: m.clientId,
      client_host: m.clientHost,
      session_ms: m.sessionTimeoutMs,
      rebalance_ms: m.rebalanceTimeoutMs,
      protocols: m.protocols.map((p) => ({ name: p.name, metadata: b64(p.metadata) })),
      assignment: b64(m.assignment),
      lease_expires_at: m.leaseExpiresAt,
      generation: m.generation,
    })),
    pending: g.pending.map((p) => ({ id: p.memberId, expires_at: p.expiresAt })),
    rebalance: g.rebalance
      ? { joined: g.rebalance.joined, deadline: g.rebalance.deadline, not_before: g.rebalance.notBefore }
      : null,
    created_at: g.createdAt,
    listed_until: g.listedUntil,
  };
  return {
    pk: groupPk(g.name),
    sk: CLASSIC_STATE_SK,
    version: g.version + 1,
    expiresAt: Math.ceil(retainUntil(g, retentionMs, now) / 1000),
    data,
  };
}

/** Bytes the item takes (UTF-8 of its JSON form: what DynamoDB counts, near enough, plus keys). */
export function itemBytes(item: ManifestItem): number {
  return Buffer.byteLength(JSON.stringify(item.data)) + Buffer.byteLength(item.pk) + item.sk.length + 64;
}

export function groupFromItem(name: string, item: ManifestItem): ClassicGroup {
  const d = item.data;
  const fail = (field: string) => new Error(`corrupt classic group item ${item.pk}/${item.sk}: ${field}`);
  const str = (v: unknown, field: string): string => {
    if (typeof v !== "string") throw fail(field);
    return v;
  };
  const strOrNull = (v: unknown, field: string): string | null => (v === null ? null : str(v, field));
  const num = (v: unknown, field: string): number => {
    if (typeof v !== "number" || !Number.isSafeInteger(v)) throw fail(field);
    return v;
  };
  const arr = (v: unknown, field: string): unknown[] => {
    if (!Array.isArray(v)) throw fail(field);
    return v;
  };
  const obj = (v: unknown, field: string): ItemData => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw fail(field);
    return v as ItemData;
  };
  const phase = str(d.phase, "phase");
  if (!["Empty", "PreparingRebalance", "CompletingRebalance", "Stable"].includes(phase)) throw fail("phase");
  const rebalance = d.rebalance === null ? null : obj(d.rebalance, "rebalance");
  return {
    name,
    incarnation: str(d.incarnation, "incarnation"),
    generation: num(d.generation, "generation"),
    phase: phase as ClassicPhase,
    protocolType: strOrNull(d.protocol_type, "protocol_type"),
    protocolName: strOrNull(d.protocol_name, "protocol_name"),
    leader: strOrNull(d.leader, "leader"),
    members: arr(d.members, "members").map((v) => {
      const m = obj(v, "member");
      return {
        memberId: str(m.id, "member id"),
        groupInstanceId: strOrNull(m.instance, "instance"),
        clientId: str(m.client_id, "client_id"),
        clientHost: str(m.client_host, "client_host"),
        sessionTimeoutMs: num(m.session_ms, "session_ms"),
        rebalanceTimeoutMs: num(m.rebalance_ms, "rebalance_ms"),
        protocols: arr(m.protocols, "protocols").map((p) => {
          const o = obj(p, "protocol");
          return { name: str(o.name, "protocol name"), metadata: unb64(str(o.metadata, "metadata")) };
        }),
        assignment: unb64(str(m.assignment, "assignment")),
        leaseExpiresAt: num(m.lease_expires_at, "lease_expires_at"),
        generation: num(m.generation, "member generation"),
      };
    }),
    pending: arr(d.pending, "pending").map((v) => {
      const p = obj(v, "pending");
      return { memberId: str(p.id, "pending id"), expiresAt: num(p.expires_at, "pending expires_at") };
    }),
    rebalance: rebalance
      ? {
          joined: arr(rebalance.joined, "joined").map((j) => str(j, "joined")),
          deadline: num(rebalance.deadline, "deadline"),
          notBefore: num(rebalance.not_before, "not_before"),
        }
      : null,
    createdAt: num(d.created_at, "created_at"),
    listedUntil: num(d.listed_until, "listed_until"),
    version: item.version,
  };
}

function b64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

function unb64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** What the HTTP protocol needs to know about a classic group of the same id (one id, one protocol). */
export interface ClassicSummary {
  generation: number;
  phase: ClassicPhase;
  /** Members whose session has not ended. */
  liveMembers: number;
}

export async function readClassicSummary(
  manifest: { get(pk: string, sk: string): Promise<ManifestItem | undefined> },
  group: string,
  now: number,
): Promise<ClassicSummary | undefined> {
  const item = await manifest.get(groupPk(group), CLASSIC_STATE_SK);
  if (!item) return undefined;
  const g = groupFromItem(group, item);
  const waiting = new Set(g.rebalance?.joined ?? []);
  const live = g.members.filter((m) => m.leaseExpiresAt > now || waiting.has(m.memberId)).length;
  return { generation: g.generation, phase: live === 0 ? "Empty" : g.phase, liveMembers: live };
}
