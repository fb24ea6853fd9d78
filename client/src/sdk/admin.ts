/**
 * Topics and groups (api.md § Topics, § Consumer groups). Replies are read field by field into
 * camelCase types; topic config keeps Kafka's dotted names (`retention.ms`) because that is what
 * users type and what the server validates.
 */

import { FloeError } from "../errors.js";
import { backoffMs, sleep } from "./backoff.js";
import { pathOf, type RequestSpec, type Transport } from "./transport.js";
import { arr, int, type Json, obj, optInt, optStr, str } from "./wire.js";

/** Kafka-named topic settings; the server rejects unknown keys. */
export interface TopicConfig {
  "retention.ms"?: number;
  "retention.bytes"?: number;
  "cleanup.policy"?: "delete" | "compact";
  "max.message.bytes"?: number;
  "delete.retention.ms"?: number;
  [key: string]: string | number | undefined;
}

export interface PartitionInfo {
  partition: number;
  highWatermark: number;
  logStartOffset: number;
}

export interface TopicDescription {
  name: string;
  partitionCount: number;
  /** Per-partition bounds, when the reply carries them (describe does; list may not). */
  partitions: PartitionInfo[];
  config: TopicConfig;
}

export interface PartitionTail {
  highWatermark: number;
  logStartOffset: number;
  lastTimestamp: number;
}

export interface GroupMember {
  memberId: string;
  /** What the member may hold now. */
  assignment: TopicPartitions[];
  /** Taken away from it, not yet released. */
  revoking: TopicPartitions[];
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  /** The next offset the group will read. */
  offset: number;
  metadata?: string | undefined;
}

/** One partition of a group's subscription, as `describeGroup` reports it. */
export interface GroupOffset {
  topic: string;
  partition: number;
  /** Null when the group has not committed this partition yet. */
  committedOffset: number | null;
  highWatermark: number | null;
  logStartOffset: number | null;
  /** High watermark minus the committed offset (null when either is unknown). */
  lag: number | null;
}

/** Where `resetOffsets` moves a group's committed offsets of one topic. */
export type ResetOffsetsRequest = { topic: string; partitions?: number[] } & (
  | { to: "earliest" }
  | { to: "latest" }
  | { to: "timestamp"; timestamp: number }
  | { to: "offset"; offset: number }
);

export interface GroupSummary {
  group: string;
  generation?: number | undefined;
  memberCount?: number | undefined;
  state?: string | undefined;
}

export interface GroupDescription {
  group: string;
  generation: number;
  /** "empty", "stable" or "reconciling" (a handover in progress). */
  state: string | undefined;
  members: GroupMember[];
  offsets: GroupOffset[];
  /** Sum of the known per-partition lags. */
  totalLag: number;
}

function configOf(value: unknown): TopicConfig {
  if (value === undefined || value === null) return {};
  const o = obj(value, "config");
  const out: TopicConfig = {};
  for (const [k, v] of Object.entries(o)) if (typeof v === "string" || typeof v === "number") out[k] = v;
  return out;
}

/** Parses a topic as `GET /v1/topics/{topic}` (or one entry of the list) describes it. */
export function topicOf(value: unknown): TopicDescription {
  const o = obj(value, "topic");
  const name = str(o, "name");
  let partitions: PartitionInfo[] = [];
  let partitionCount: number;
  if (Array.isArray(o.partitions)) {
    partitions = o.partitions.map((p, i) => {
      const po = obj(p, `partitions[${i}]`);
      return {
        partition: int(po, "partition"),
        highWatermark: int(po, "high_watermark"),
        logStartOffset: int(po, "log_start_offset"),
      };
    });
    partitionCount = optInt(o, "partition_count") ?? partitions.length;
  } else {
    partitionCount = optInt(o, "partition_count") ?? int(o, "partitions");
  }
  return { name, partitionCount, partitions, config: configOf(o.config) };
}

function topicPartitionsOf(value: unknown, what: string): TopicPartitions[] {
  return arr(value ?? [], what).map((a, i) => {
    const ao = obj(a, `${what}[${i}]`);
    return { topic: str(ao, "topic"), partitions: arr(ao.partitions, "partitions").map((p) => Number(p)) };
  });
}

function offsetsOf(value: unknown): CommittedOffset[] {
  return arr(value ?? [], "offsets").map((item, i) => {
    const o = obj(item, `offsets[${i}]`);
    return {
      topic: str(o, "topic"),
      partition: int(o, "partition"),
      offset: int(o, "offset"),
      metadata: optStr(o, "metadata"),
    };
  });
}

function nullableInt(o: Json, field: string): number | null {
  return optInt(o, field) ?? null;
}

/** Parses `GET /v1/groups/{group}`. */
export function groupOf(value: unknown): GroupDescription {
  const o = obj(value, "group");
  const members = arr(o.members ?? [], "members").map((m, i) => {
    const mo = obj(m, `members[${i}]`);
    return {
      memberId: str(mo, "member_id"),
      assignment: topicPartitionsOf(mo.assignment, "assignment"),
      revoking: topicPartitionsOf(mo.revoking, "revoking"),
    };
  });
  const offsets = arr(o.offsets ?? [], "offsets").map((item, i) => {
    const oo = obj(item, `offsets[${i}]`);
    return {
      topic: str(oo, "topic"),
      partition: int(oo, "partition"),
      committedOffset: nullableInt(oo, "committed_offset"),
      highWatermark: nullableInt(oo, "high_watermark"),
      logStartOffset: nullableInt(oo, "log_start_offset"),
      lag: nullableInt(oo, "lag"),
    };
  });
  return {
    group: str(o, "group"),
    generation: optInt(o, "generation") ?? 0,
    state: optStr(o, "state"),
    members,
    offsets,
    totalLag: offsets.reduce((n, x) => n + (x.lag ?? 0), 0),
  };
}

function listOf(value: unknown, field: string): unknown[] {
  if (Array.isArray(value)) return value;
  return arr(obj(value, "reply")[field], field);
}

/** Attempts of one create or delete whose earlier attempts failed retriably (lost reply, 503, 429). */
export const ADMIN_ATTEMPTS_MAX = 5;

/** A fresh idempotency key (`Floe-Request-Id`): Web Crypto, available in Node and browsers. */
function newRequestId(): string {
  return globalThis.crypto.randomUUID();
}

/** Topic and group administration. Get one from `client.admin`. */
export class Admin {
  constructor(private readonly transport: Transport) {}

  /**
   * Sends a create or delete with one `Floe-Request-Id` for all its attempts and retries what
   * failed retriably. The id makes a retry after a lost reply safe: the server answers it as it
   * answered the attempt whose reply was lost (docs/api-decisions.md § Topics).
   */
  private async idempotent(spec: RequestSpec): Promise<unknown> {
    const headers = { ...spec.headers, "Floe-Request-Id": newRequestId() };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.transport.json({ ...spec, headers });
      } catch (error) {
        if (!(error instanceof FloeError) || !error.retriable || attempt >= ADMIN_ATTEMPTS_MAX) throw error;
        await sleep(backoffMs(attempt, error), spec.signal);
        if (spec.signal?.aborted) throw error;
      }
    }
  }

  /**
   * Creates a topic; fails with `topic_exists` (409) if it already exists. Retried with the same
   * `Floe-Request-Id` when a reply is lost, so a create that succeeded resolves, never `topic_exists`.
   *
   * @example
   * await client.admin.createTopic("orders", { partitions: 6, config: { "retention.ms": 86_400_000 } });
   */
  async createTopic(
    name: string,
    options: { partitions?: number; config?: TopicConfig } = {},
  ): Promise<TopicDescription> {
    const body: Json = { name, partitions: options.partitions ?? 1 };
    if (options.config) body.config = options.config;
    const reply = await this.idempotent({ method: "POST", path: pathOf("v1", "topics"), json: body });
    return reply === undefined ? this.describeTopic(name) : topicOf(reply);
  }

  /**
   * Lists topics.
   *
   * @example
   * for (const t of await client.admin.listTopics()) console.log(t.name, t.partitionCount);
   */
  async listTopics(): Promise<TopicDescription[]> {
    const reply = await this.transport.json({ method: "GET", path: pathOf("v1", "topics") });
    return listOf(reply, "topics").map((t) => topicOf(t));
  }

  /**
   * Describes a topic: partitions with their bounds, and its config.
   *
   * @example
   * const { partitions } = await client.admin.describeTopic("orders");
   */
  async describeTopic(name: string): Promise<TopicDescription> {
    return topicOf(await this.transport.json({ method: "GET", path: pathOf("v1", "topics", name) }));
  }

  /**
   * Changes a topic's config and/or grows its partition count (it can never shrink).
   *
   * @example
   * await client.admin.alterTopic("orders", { partitions: 12, config: { "retention.ms": 3_600_000 } });
   */
  async alterTopic(
    name: string,
    changes: { partitions?: number; config?: TopicConfig },
  ): Promise<TopicDescription> {
    const body: Json = {};
    if (changes.partitions !== undefined) body.partitions = changes.partitions;
    if (changes.config !== undefined) body.config = changes.config;
    const reply = await this.transport.json({
      method: "PATCH",
      path: pathOf("v1", "topics", name),
      json: body,
    });
    return reply === undefined ? this.describeTopic(name) : topicOf(reply);
  }

  /**
   * Deletes a topic and its data; fails with `topic_not_found` (404) if there is none. Retried with
   * the same `Floe-Request-Id` when a reply is lost, so a delete that succeeded resolves.
   *
   * @example
   * await client.admin.deleteTopic("scratch");
   */
  async deleteTopic(name: string): Promise<void> {
    await this.idempotent({ method: "DELETE", path: pathOf("v1", "topics", name) });
  }

  /**
   * A partition's bounds and last timestamp, without reading records.
   *
   * @example
   * const { highWatermark } = await client.admin.tail("orders", 0);
   */
  async tail(topic: string, partition: number): Promise<PartitionTail> {
    const o = obj(
      await this.transport.json({
        method: "GET",
        path: pathOf("v1", "topics", topic, "partitions", partition, "tail"),
      }),
      "tail",
    );
    return {
      highWatermark: int(o, "high_watermark"),
      logStartOffset: int(o, "log_start_offset"),
      lastTimestamp: optInt(o, "last_timestamp") ?? -1,
    };
  }

  /**
   * Lists consumer groups.
   *
   * @example
   * const groups = await client.admin.listGroups();
   */
  async listGroups(): Promise<GroupSummary[]> {
    const reply = await this.transport.json({ method: "GET", path: pathOf("v1", "groups") });
    return listOf(reply, "groups").map((g, i) => {
      if (typeof g === "string") return { group: g };
      const o = obj(g, `groups[${i}]`);
      return {
        group: optStr(o, "group") ?? str(o, "name"),
        generation: optInt(o, "generation"),
        memberCount: optInt(o, "member_count") ?? (Array.isArray(o.members) ? o.members.length : undefined),
        state: optStr(o, "state"),
      };
    });
  }

  /**
   * Describes a group: members, their assignment, committed offsets and lag.
   *
   * @example
   * const { offsets, totalLag } = await client.admin.describeGroup("billing");
   */
  async describeGroup(group: string): Promise<GroupDescription> {
    return groupOf(await this.transport.json({ method: "GET", path: pathOf("v1", "groups", group) }));
  }

  /**
   * A group's committed offsets (the next offset to read), optionally for one topic.
   *
   * @example
   * const offsets = await client.admin.committedOffsets("billing", "orders");
   */
  async committedOffsets(group: string, topic?: string): Promise<CommittedOffset[]> {
    const reply = await this.transport.json({
      method: "GET",
      path: pathOf("v1", "groups", group, "offsets"),
      query: { topic },
    });
    return offsetsOf(Array.isArray(reply) ? reply : obj(reply, "reply").offsets);
  }

  /**
   * Moves an inactive group's committed offsets (no live members; else `group_not_empty`) of one
   * topic to the earliest or latest offset, the first offset at a time, or an offset (clamped
   * to the log's bounds). All partitions unless `partitions` says. Resolves with the offsets after.
   *
   * @example
   * await client.admin.resetOffsets("billing", { topic: "orders", to: "earliest" });
   */
  async resetOffsets(group: string, request: ResetOffsetsRequest): Promise<CommittedOffset[]> {
    const reply = await this.transport.json({
      method: "POST",
      path: pathOf("v1", "groups", group, "offsets", "reset"),
      json: { ...request } as Json,
    });
    return offsetsOf(Array.isArray(reply) ? reply : obj(reply, "reply").offsets);
  }
}
