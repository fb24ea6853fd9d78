/** Wire schemas of the topic routes (api.md § Topics). */
import { z } from "@hono/zod-openapi";
import { MAX_PARTITIONS } from "../engine/topic-config.js";
import { TopicName } from "./schemas.js";

const configNumber = z.union([z.number().int(), z.string()]);

/**
 * Kafka's config names. Unknown names are kept (not stripped) so the engine rejects them with a
 * message listing the known ones: a misspelt setting must never silently do nothing.
 */
export const TopicConfigInput = z
  .looseObject({
    "retention.ms": configNumber.optional().openapi({ description: "-1 = forever" }),
    "retention.bytes": configNumber.optional().openapi({ description: "per partition; -1 = unlimited" }),
    "cleanup.policy": z.enum(["delete", "compact"]).optional(),
    "max.message.bytes": configNumber
      .optional()
      .openapi({ description: "largest record (key + value + headers), at most 1 MiB" }),
    "delete.retention.ms": configNumber
      .optional()
      .openapi({ description: "how long compaction keeps tombstones" }),
  })
  .openapi("TopicConfigInput");

export const TopicConfig = z
  .object({
    "retention.ms": z.number().int(),
    "retention.bytes": z.number().int(),
    "cleanup.policy": z.enum(["delete", "compact"]),
    "max.message.bytes": z.number().int(),
    "delete.retention.ms": z.number().int(),
  })
  .openapi("TopicConfig");

const partitionCount = z.number().int().min(1).max(MAX_PARTITIONS);

export const CreateTopicRequest = z
  .strictObject({
    name: TopicName,
    partitions: partitionCount.optional().openapi({ description: "default 1" }),
    config: TopicConfigInput.optional(),
  })
  .openapi("CreateTopicRequest");

/**
 * The caller's id for one create or delete, the same on each retry of it. The server keeps it in
 * the topic item (create) or its tombstone (delete), so a retry after a lost response answers
 * success as the first attempt did (docs/api-decisions.md § Topics). Without it: Kafka's answers.
 */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const RequestIdHeaders = z.object({
  "Floe-Request-Id": z
    .string()
    .regex(REQUEST_ID_PATTERN, "must be 1 to 128 characters of A-Z a-z 0-9 . _ : -")
    .optional()
    .openapi({
      description:
        "Idempotency key of this create or delete (e.g. a UUID), reused by every retry of it: a retry " +
        "of a create that succeeded answers 201 (same settings), of a delete that succeeded 204.",
      example: "3f1c2a9e-7b1d-4c55-9a0e-2f6d8e4b1a77",
    }),
});

export const AlterTopicRequest = z
  .strictObject({
    partitions: partitionCount.optional().openapi({ description: "the partition count may only grow" }),
    config: TopicConfigInput.optional().openapi({
      description: "the settings to change; others keep their values",
    }),
  })
  .openapi("AlterTopicRequest");

export const TopicSummary = z
  .object({
    name: z.string(),
    topic_id: z.string(),
    partition_count: z.number().int(),
    created_at: z.number().int(),
    config: TopicConfig,
  })
  .openapi("TopicSummary");

export const PartitionInfo = z
  .object({
    partition: z.number().int(),
    high_watermark: z.number().int(),
    log_start_offset: z.number().int(),
    last_timestamp: z.number().int(),
  })
  .openapi("PartitionInfo");

export const TopicDescription = TopicSummary.extend({ partitions: z.array(PartitionInfo) }).openapi(
  "TopicDescription",
);
export type TopicDescription = z.output<typeof TopicDescription>;

export const TopicList = z.object({ topics: z.array(TopicSummary) }).openapi("TopicList");
