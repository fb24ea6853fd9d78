/**
 * The domain rules of group requests, applied by the coordinator whoever calls it (the routes
 * validate shapes with zod first; direct callers get the same errors).
 */
import { FloeError, invalidRequest } from "../../../client/src/errors.js";
import { validateTopicName } from "../engine/topic-config.js";
import { partitionId, type TopicPartition } from "./assignment.js";
import type { GroupLimits } from "./group-limits.js";

export interface OffsetCommit extends TopicPartition {
  /** The next offset to read. */
  offset: number;
  metadata?: string;
}

export type ResetTarget =
  | { to: "earliest" }
  | { to: "latest" }
  | { to: "timestamp"; timestamp: number }
  | { to: "offset"; offset: number };

export type ResetRequest = ResetTarget & { topic: string; partitions?: number[] };

export function subscriptionOf(topics: unknown, limits: GroupLimits): string[] {
  if (!Array.isArray(topics) || topics.length === 0 || topics.length > limits.maxTopicsPerMember) {
    throw invalidRequest(`topics must list 1 to ${limits.maxTopicsPerMember} topic names`, {
      field: "topics",
      limit: limits.maxTopicsPerMember,
    });
  }
  return [...new Set(topics.map((t) => validateTopicName(t)))].sort();
}

export function generationOf(generation: unknown): number {
  if (typeof generation !== "number" || !Number.isSafeInteger(generation) || generation < 0) {
    throw invalidRequest("generation must be a non-negative integer", { field: "generation" });
  }
  return generation;
}

/** 400 when a request lists more partitions than `maxPartitionsPerRequest`. */
export function checkPartitionCount(count: number, field: string, limits: GroupLimits): void {
  if (count > limits.maxPartitionsPerRequest) {
    throw invalidRequest(`${field} must list at most ${limits.maxPartitionsPerRequest} partitions`, {
      field,
      limit: limits.maxPartitionsPerRequest,
    });
  }
}

export function partitionListOf(list: unknown, field: string, limits: GroupLimits): TopicPartition[] {
  if (!Array.isArray(list)) throw invalidRequest(`${field} must be a list of partitions`, { field });
  checkPartitionCount(list.length, field, limits);
  return (list as unknown[]).map((entry) => {
    if (entry === null || typeof entry !== "object")
      throw invalidRequest(`${field}: entries must be objects`, { field });
    const tp = entry as { topic?: unknown; partition?: unknown };
    const topic = validateTopicName(tp.topic);
    const partition = tp.partition;
    if (typeof partition !== "number" || !Number.isSafeInteger(partition) || partition < 0) {
      throw invalidRequest(`${field}: partitions must be non-negative integers`, { field });
    }
    return { topic, partition };
  });
}

export function commitListOf(offsets: OffsetCommit[], limits: GroupLimits): OffsetCommit[] {
  if (!Array.isArray(offsets) || offsets.length === 0)
    throw invalidRequest("offsets must list at least one partition", { field: "offsets" });
  const list = partitionListOf(offsets, "offsets", limits);
  const seen = new Set<string>();
  return offsets.map((c, i) => {
    const id = partitionId(list[i]!);
    if (seen.has(id))
      throw invalidRequest(`offsets lists ${c.topic}/${c.partition} twice`, { field: "offsets" });
    seen.add(id);
    if (!Number.isSafeInteger(c.offset) || c.offset < 0)
      throw invalidRequest("offsets: offset must be a non-negative integer", { field: "offset" });
    const metadata = c.metadata ?? "";
    if (
      typeof metadata !== "string" ||
      new TextEncoder().encode(metadata).byteLength > limits.maxMetadataBytes
    ) {
      throw invalidRequest(`offsets: metadata must be a string of at most ${limits.maxMetadataBytes} bytes`, {
        field: "metadata",
        limit: limits.maxMetadataBytes,
      });
    }
    return { topic: c.topic, partition: c.partition, offset: c.offset, metadata };
  });
}

export function checkResetTarget(request: ResetRequest): void {
  if (request.to === "timestamp" && (!Number.isSafeInteger(request.timestamp) || request.timestamp < 0)) {
    throw invalidRequest("timestamp must be a non-negative integer (ms since the epoch)", {
      field: "timestamp",
    });
  }
  if (request.to === "offset" && (!Number.isSafeInteger(request.offset) || request.offset < 0)) {
    throw invalidRequest("offset must be a non-negative integer", { field: "offset" });
  }
}

export function resetPartitionsOf(
  partitions: number[] | undefined,
  count: number,
  topic: string,
  limits: GroupLimits,
): number[] {
  if (partitions === undefined) return Array.from({ length: count }, (_, p) => p);
  if (partitions.length === 0 || partitions.length > limits.maxPartitionsPerRequest) {
    throw invalidRequest(`partitions must list 1 to ${limits.maxPartitionsPerRequest} partitions`, {
      field: "partitions",
    });
  }
  for (const p of partitions) {
    if (!Number.isSafeInteger(p) || p < 0 || p >= count) {
      throw new FloeError("partition_not_found", `topic ${topic} has partitions 0..${count - 1}, not ${p}`, {
        topic,
        partitions: count,
      });
    }
  }
  return [...new Set(partitions)].sort((a, b) => a - b);
}
