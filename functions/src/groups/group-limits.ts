/**
 * Every bound a consumer group has, in one place (style.md: put a limit on everything). The state
 * item holds the whole group; `stateBytesMax` is its byte budget, and the counted limits are
 * chosen so that the worst case they allow fits it (100 members x 32 topics of 249 characters,
 * 64 topics, 2048 partitions: 136 KB, test/groups/group-state-budget.test.ts). Partitions
 * added to subscribed topics after a join can still grow it: a write that would take it past
 * the budget is refused with `group_full` and `limit_bytes`.
 */
import { invalidRequest } from "../../../client/src/errors.js";
import { validateKafkaName } from "../engine/topic-config.js";

export interface GroupLimits {
  /** Live members per group. */
  maxMembers: number;
  /** Topics in one member's subscription. */
  maxTopicsPerMember: number;
  /** Distinct topics across all members' subscriptions. */
  maxTopicsPerGroup: number;
  /** Partitions across the group's subscribed topics, checked when a member joins. */
  maxPartitionsPerGroup: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** Kafka's consumer default (group.consumer.session.timeout.ms is 45 s). */
  defaultSessionTimeoutMs: number;
  /** Kafka's offset.metadata.max.bytes. */
  maxMetadataBytes: number;
  /** Entries in one commit request and in one heartbeat's `owned`. */
  maxPartitionsPerRequest: number;
  /** A group operation that has not landed after this long is answered `unavailable`. */
  opTimeoutMs: number;
  /**
   * Kafka's offsets.retention.minutes (7 days): how long after its last activity a group's items
   * may be removed by DynamoDB TTL (`expiresAt`). Nothing is deleted by the stand-ins.
   */
  retentionMs: number;
  /** Partitions whose high watermark one describe reads (lag is null beyond). */
  maxDescribePartitions: number;
  /** Byte budget of the state item (DynamoDB's size, store-rules.ts itemSizeBytes; the item limit is 400 KB). */
  stateBytesMax: number;
}

export const DEFAULT_GROUP_LIMITS: GroupLimits = {
  maxMembers: 100,
  maxTopicsPerMember: 32,
  maxTopicsPerGroup: 64,
  maxPartitionsPerGroup: 2048,
  minSessionTimeoutMs: 1_000,
  maxSessionTimeoutMs: 5 * 60_000,
  defaultSessionTimeoutMs: 45_000,
  maxMetadataBytes: 4096,
  maxPartitionsPerRequest: 2048,
  opTimeoutMs: 5_000,
  retentionMs: 7 * 24 * 60 * 60_000,
  maxDescribePartitions: 4096,
  stateBytesMax: 256 * 1024,
};

/** Group names follow Kafka's topic name rules so they are safe inside item keys and URLs. */
export function validateGroupName(name: unknown): string {
  return validateKafkaName(name, "group");
}

const MEMBER_ID = /^[a-zA-Z0-9-]{1,64}$/;

/** Member ids are issued by the coordinator (UUIDs); anything else cannot name a member. */
export function validateMemberId(id: unknown): string {
  if (typeof id !== "string" || !MEMBER_ID.test(id)) {
    throw invalidRequest("member ids are 1-64 characters of [a-zA-Z0-9-] as returned by join", {
      field: "member_id",
    });
  }
  return id;
}

export function sessionTimeoutOf(requested: number | undefined, limits: GroupLimits): number {
  if (requested === undefined) return limits.defaultSessionTimeoutMs;
  if (
    !Number.isSafeInteger(requested) ||
    requested < limits.minSessionTimeoutMs ||
    requested > limits.maxSessionTimeoutMs
  ) {
    throw invalidRequest(
      `session_timeout_ms must be an integer from ${limits.minSessionTimeoutMs} to ${limits.maxSessionTimeoutMs}`,
      { field: "session_timeout_ms", min: limits.minSessionTimeoutMs, max: limits.maxSessionTimeoutMs },
    );
  }
  return requested;
}
