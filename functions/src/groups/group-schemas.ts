/**
 * Wire schemas of the consumer-group routes (api.md § Consumer groups). They validate requests,
 * type the handlers and generate the OpenAPI document. Request objects are strict: a misspelt
 * field is a 400, never silently ignored. The coordinator applies the domain limits on top.
 */
import { z } from "@hono/zod-openapi";
import { TopicName } from "../http/schemas.js";

const count = z.number().int().min(0);

export const GroupName = z
  .string()
  .regex(/^[a-zA-Z0-9._-]{1,249}$/, "group names are 1-249 characters of [a-zA-Z0-9._-]")
  .refine((name) => name !== "." && name !== "..", "a group may not be named '.' or '..'");

export const GroupParams = z.object({
  group: GroupName.openapi({ param: { name: "group", in: "path" }, example: "billing" }),
});

export const MemberParams = GroupParams.extend({
  member: z
    .string()
    .regex(/^[a-zA-Z0-9-]{1,64}$/, "member ids are 1-64 characters of [a-zA-Z0-9-] as returned by join")
    .openapi({ param: { name: "member", in: "path" } }),
});

export const OffsetsQuery = z.object({
  topic: TopicName.optional().openapi({ description: "only this topic's offsets" }),
});

const TopicPartitions = z
  .strictObject({ topic: TopicName, partitions: z.array(count) })
  .openapi("TopicPartitions");

export const JoinGroupRequest = z
  .strictObject({
    topics: z.array(TopicName).min(1).openapi({ description: "the subscription" }),
    session_timeout_ms: z.number().int().optional().openapi({
      description:
        "lease length: without a heartbeat for this long the member is expelled (1 s to 5 min, default 45 s)",
    }),
  })
  .openapi("JoinGroupRequest");

export const HeartbeatRequest = z
  .strictObject({
    generation: count.openapi({ description: "the latest generation this member was given" }),
    owned: z.array(TopicPartitions).openapi({ description: "what the member holds right now" }),
  })
  .openapi("HeartbeatRequest");

export const MemberAssignmentReply = z
  .object({
    member_id: z.string(),
    generation: count,
    assignment: z.array(TopicPartitions).openapi({ description: "the partitions the member may hold now" }),
    heartbeat_interval_ms: count,
  })
  .openapi("MemberAssignment");

export const CommitOffsetsRequest = z
  .strictObject({
    member_id: z.string(),
    generation: count,
    offsets: z
      .array(
        z.strictObject({
          topic: TopicName,
          partition: count,
          offset: count.openapi({ description: "the next offset to read" }),
          metadata: z.string().optional(),
        }),
      )
      .min(1),
  })
  .openapi("CommitOffsetsRequest");

const CommittedOffset = z
  .object({ topic: z.string(), partition: count, offset: count, metadata: z.string() })
  .openapi("CommittedOffset");

export const OffsetsReply = z.object({ offsets: z.array(CommittedOffset) }).openapi("CommittedOffsets");

const resetScope = {
  topic: TopicName,
  partitions: z.array(count).min(1).optional().openapi({ description: "default: all" }),
};

export const ResetOffsetsRequest = z
  .discriminatedUnion("to", [
    z.strictObject({ ...resetScope, to: z.literal("earliest") }),
    z.strictObject({ ...resetScope, to: z.literal("latest") }),
    z.strictObject({
      ...resetScope,
      to: z.literal("timestamp"),
      timestamp: count.openapi({ description: "ms since the epoch" }),
    }),
    z.strictObject({
      ...resetScope,
      to: z.literal("offset"),
      offset: count.openapi({ description: "clamped to the log's bounds" }),
    }),
  ])
  .openapi("ResetOffsetsRequest");

export const GroupList = z.object({ groups: z.array(z.object({ group: z.string() })) }).openapi("GroupList");

export const GroupDescriptionReply = z
  .object({
    group: z.string(),
    generation: count.openapi({
      description: "the group epoch: goes up with every membership or assignment change",
    }),
    state: z.enum(["empty", "stable", "reconciling"]),
    members: z.array(
      z.object({
        member_id: z.string(),
        topics: z.array(z.string()),
        session_timeout_ms: count,
        generation: count,
        assignment: z.array(TopicPartitions),
        target_assignment: z
          .array(TopicPartitions)
          .openapi({ description: "where the assignor wants this member" }),
        revoking: z
          .array(TopicPartitions)
          .openapi({ description: "taken away, not yet released by the member" }),
        lease_expires_in_ms: z.number().int(),
      }),
    ),
    offsets: z.array(
      z.object({
        topic: z.string(),
        partition: count,
        committed_offset: count.nullable(),
        metadata: z.string().nullable(),
        high_watermark: count.nullable(),
        log_start_offset: count.nullable(),
        lag: count.nullable().openapi({ description: "high watermark - committed offset" }),
      }),
    ),
  })
  .openapi("GroupDescription");
