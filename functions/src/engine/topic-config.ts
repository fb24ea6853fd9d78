/**
 * Topic configuration: Kafka's names, Kafka's defaults, validated once at the edge.
 * Unknown keys are rejected (as Kafka's AlterConfigs does) so a typo never silently does nothing.
 */
import { invalidRequest } from "../../../client/src/errors.js";
import type { TopicConfig } from "./model.js";

/** Hard ceiling of `max.message.bytes` (api.md § Limits: a record is at most 1 MiB). */
export const MAX_RECORD_BYTES_LIMIT = 1024 * 1024;
/** Most partitions one topic may have: each costs one head item and one head read per describe. */
export const MAX_PARTITIONS = 1024;

export const DEFAULT_TOPIC_CONFIG: TopicConfig = {
  "retention.ms": 7 * 24 * 60 * 60 * 1000,
  "retention.bytes": -1,
  "cleanup.policy": "delete",
  "max.message.bytes": MAX_RECORD_BYTES_LIMIT,
  "delete.retention.ms": 24 * 60 * 60 * 1000,
};

type Rule = (key: string, value: unknown) => TopicConfig[keyof TopicConfig];

function integer(min: number, max: number, allowMinusOne: boolean): Rule {
  return (key, raw) => {
    const value = typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
    if (typeof value !== "number" || !Number.isSafeInteger(value))
      throw invalidRequest(`config ${key} must be an integer`, { config: key });
    if (allowMinusOne && value === -1) return value;
    if (value < min || value > max) {
      throw invalidRequest(
        `config ${key} must be between ${min} and ${max}${allowMinusOne ? " (or -1 for unlimited)" : ""}`,
        { config: key },
      );
    }
    return value;
  };
}

const RULES: Record<keyof TopicConfig, Rule> = {
  "retention.ms": integer(1, Number.MAX_SAFE_INTEGER, true),
  "retention.bytes": integer(0, Number.MAX_SAFE_INTEGER, true),
  "cleanup.policy": (key, value) => {
    if (value !== "delete" && value !== "compact")
      throw invalidRequest(`config ${key} must be "delete" or "compact"`, { config: key });
    return value;
  },
  "max.message.bytes": integer(1, MAX_RECORD_BYTES_LIMIT, false),
  "delete.retention.ms": integer(0, Number.MAX_SAFE_INTEGER, false),
};

/** Applies `changes` (from a request body) on top of `base`; throws invalid_request on any bad key. */
export function mergeTopicConfig(base: TopicConfig, changes: unknown): TopicConfig {
  if (changes === undefined || changes === null) return { ...base };
  if (typeof changes !== "object" || Array.isArray(changes)) throw invalidRequest("config must be an object");
  const merged: TopicConfig = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    if (!Object.hasOwn(RULES, key)) {
      throw invalidRequest(
        `unknown topic config ${JSON.stringify(key)}; known: ${Object.keys(RULES).join(", ")}`,
        { config: key },
      );
    }
    const k = key as keyof TopicConfig;
    (merged as unknown as Record<string, unknown>)[k] = RULES[k](key, value);
  }
  return merged;
}

const KAFKA_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/**
 * Kafka's naming rules (topics; Floe applies them to groups too, so names are safe inside item
 * keys and URLs): 1-249 characters of [a-zA-Z0-9._-], and not "." or "..".
 */
export function validateKafkaName(name: unknown, what: "topic" | "group"): string {
  if (typeof name !== "string" || !KAFKA_NAME.test(name) || name === "." || name === "..") {
    throw invalidRequest(`${what} names are 1-249 characters of [a-zA-Z0-9._-] and not '.' or '..'`, {
      [what]: typeof name === "string" ? name.slice(0, 300) : null,
    });
  }
  return name;
}

export function validateTopicName(name: unknown): string {
  return validateKafkaName(name, "topic");
}

export function validatePartitionCount(n: unknown): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_PARTITIONS) {
    throw invalidRequest(`partitions must be an integer from 1 to ${MAX_PARTITIONS}`, {
      limit: MAX_PARTITIONS,
    });
  }
  return n;
}
