/**
 * Topic administration over the same TopicStore as the HTTP API: CreateTopics, DeleteTopics,
 * CreatePartitions and DescribeConfigs. Replication factor and replica assignments are accepted
 * and ignored: every partition is stored in S3 and served by any agent, there are no replicas
 * to place.
 */
import { FloeError } from "../../../../client/src/errors.js";
import type { TopicConfig, TopicMeta } from "../../engine/model.js";
import {
  DEFAULT_TOPIC_CONFIG,
  mergeTopicConfig,
  validatePartitionCount,
  validateTopicName,
} from "../../engine/topic-config.js";
import type { Message } from "../codec/codec.js";
import type { Handler } from "../context.js";
import { KAFKA, kafkaError } from "../errors.js";

/** Kafka's num.partitions default, used when a client sends -1. */
const DEFAULT_PARTITIONS = 1;
const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
/** DescribeConfigs config sources and types (the protocol's enums). */
const SOURCE_TOPIC_CONFIG = 1;
const SOURCE_DEFAULT_CONFIG = 5;
const CONFIG_TYPE: Record<keyof TopicConfig, number> = {
  "retention.ms": 5, // LONG
  "retention.bytes": 5,
  "cleanup.policy": 7, // LIST
  "max.message.bytes": 3, // INT
  "delete.retention.ms": 5,
};

/** The topic's configuration as Kafka's config entries. */
export function configEntries(config: TopicConfig, keys: string[] | null = null): Message[] {
  const names = Object.keys(CONFIG_TYPE) as (keyof TopicConfig)[];
  return names
    .filter((name) => keys === null || keys.length === 0 || keys.includes(name))
    .map((name) => {
      const isDefault = config[name] === DEFAULT_TOPIC_CONFIG[name];
      return {
        name,
        value: String(config[name]),
        readOnly: false,
        isDefault,
        configSource: isDefault ? SOURCE_DEFAULT_CONFIG : SOURCE_TOPIC_CONFIG,
        isSensitive: false,
        synonyms: [],
        configType: CONFIG_TYPE[name],
        documentation: null,
      };
    });
}

interface CreateTopicsRequest {
  topics: {
    name: string;
    numPartitions: number;
    replicationFactor: number;
    assignments: { partitionIndex: number }[];
    configs: { name: string; value: string | null }[];
  }[];
  validateOnly: boolean;
}

function configObject(entries: { name: string; value: string | null }[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const { name, value } of entries) {
    if (value === null)
      throw new FloeError("invalid_request", `config ${name} has no value`, { config: name });
    out.set(name, value);
  }
  return out;
}

export const handleCreateTopics: Handler = async (message, ctx) => {
  const req = message as unknown as CreateTopicsRequest;
  const topics: Message[] = [];
  for (const t of req.topics) {
    try {
      const partitions =
        t.numPartitions === -1 ? t.assignments.length || DEFAULT_PARTITIONS : t.numPartitions;
      validateTopicName(t.name);
      validatePartitionCount(partitions);
      const config = Object.fromEntries(configObject(t.configs));
      let meta: TopicMeta | undefined;
      if (req.validateOnly) {
        mergeTopicConfig(DEFAULT_TOPIC_CONFIG, config);
        if (await ctx.deps.log.topics.get(t.name, true))
          throw new FloeError("topic_exists", `topic ${t.name} already exists`, { topic: t.name });
      } else meta = await ctx.deps.log.topics.create(t.name, partitions, config);
      const effective = meta?.config ?? mergeTopicConfig(DEFAULT_TOPIC_CONFIG, config);
      topics.push({
        name: t.name,
        topicId: meta?.topicId ?? null,
        errorCode: KAFKA.NONE,
        errorMessage: null,
        numPartitions: partitions,
        replicationFactor: 1,
        configs: configEntries(effective),
      });
    } catch (error) {
      const e = kafkaError(error, "topic-admin");
      if (e.code === KAFKA.UNKNOWN_SERVER_ERROR) ctx.deps.logError(error);
      topics.push({ name: t.name, errorCode: e.code, errorMessage: e.message, configs: null });
    }
  }
  return { throttleTimeMs: 0, topics };
};

export const handleDeleteTopics: Handler = async (message, ctx) => {
  const req = message as unknown as { topicNames: string[] };
  const responses: Message[] = [];
  for (const name of req.topicNames) {
    try {
      validateTopicName(name);
      await ctx.deps.log.topics.delete(name);
      responses.push({ name, errorCode: KAFKA.NONE, errorMessage: null });
    } catch (error) {
      const e = kafkaError(error, "topic-admin");
      if (e.code === KAFKA.UNKNOWN_SERVER_ERROR) ctx.deps.logError(error);
      responses.push({ name, errorCode: e.code, errorMessage: e.message });
    }
  }
  return { throttleTimeMs: 0, responses };
};

/**
 * DeleteRecords: moves each partition's log start up to the offset given (-1: the high
 * watermark), by a commit of its own (engine trim). An offset past the high watermark is
 * OFFSET_OUT_OF_RANGE, as in Kafka; the answer is the new low watermark (log start).
 */
export const handleDeleteRecords: Handler = async (message, ctx) => {
  const req = message as unknown as {
    topics: { name: string; partitions: { partitionIndex: number; offset: bigint | number }[] }[];
  };
  const topics: Message[] = [];
  let served = 0; // partitions past the request cap are refused, as Produce and Fetch do
  for (const t of req.topics) {
    const partitions: Message[] = [];
    for (const p of t.partitions) {
      if (served++ >= ctx.deps.requestLimits.partitionsMax) {
        partitions.push({
          partitionIndex: p.partitionIndex,
          lowWatermark: -1,
          errorCode: KAFKA.INVALID_REQUEST,
        });
        continue;
      }
      try {
        let offset = Number(p.offset);
        if (offset === -1) offset = (await ctx.deps.log.tail(t.name, p.partitionIndex)).highWatermark;
        const tail = await ctx.deps.log.trim(t.name, p.partitionIndex, offset);
        partitions.push({
          partitionIndex: p.partitionIndex,
          lowWatermark: tail.logStartOffset,
          errorCode: KAFKA.NONE,
        });
      } catch (error) {
        const e = kafkaError(error, "general");
        if (e.code === KAFKA.UNKNOWN_SERVER_ERROR) ctx.deps.logError(error);
        partitions.push({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: e.code });
      }
    }
    topics.push({ name: t.name, partitions });
  }
  return { throttleTimeMs: 0, topics };
};

export const handleCreatePartitions: Handler = async (message, ctx) => {
  const req = message as unknown as { topics: { name: string; count: number }[]; validateOnly: boolean };
  const results: Message[] = [];
  for (const t of req.topics) {
    try {
      const current = await ctx.deps.log.topics.require(t.name);
      validatePartitionCount(t.count);
      if (t.count <= current.partitions) {
        results.push({
          name: t.name,
          errorCode: KAFKA.INVALID_PARTITIONS,
          errorMessage: `topic ${t.name} has ${current.partitions} partitions; the count may only grow`,
        });
        continue;
      }
      if (!req.validateOnly) await ctx.deps.log.topics.alter(t.name, { partitions: t.count });
      results.push({ name: t.name, errorCode: KAFKA.NONE, errorMessage: null });
    } catch (error) {
      const e = kafkaError(error, "topic-admin");
      if (e.code === KAFKA.UNKNOWN_SERVER_ERROR) ctx.deps.logError(error);
      results.push({ name: t.name, errorCode: e.code, errorMessage: e.message });
    }
  }
  return { throttleTimeMs: 0, results };
};

interface DescribeConfigsRequest {
  resources: { resourceType: number; resourceName: string; configurationKeys: string[] | null }[];
}

export const handleDescribeConfigs: Handler = async (message, ctx) => {
  const req = message as unknown as DescribeConfigsRequest;
  const results: Message[] = [];
  for (const r of req.resources) {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    try {
      if (r.resourceType === RESOURCE_BROKER) {
        // No broker-level settings are exposed over Kafka; an empty list is a valid answer.
        results.push({ ...base, errorCode: KAFKA.NONE, errorMessage: null, configs: [] });
        continue;
      }
      if (r.resourceType !== RESOURCE_TOPIC) {
        results.push({
          ...base,
          errorCode: KAFKA.INVALID_REQUEST,
          errorMessage: "only topic configs",
          configs: [],
        });
        continue;
      }
      const meta = await ctx.deps.log.topics.require(r.resourceName);
      results.push({
        ...base,
        errorCode: KAFKA.NONE,
        errorMessage: null,
        configs: configEntries(meta.config, r.configurationKeys),
      });
    } catch (error) {
      const e = kafkaError(error, "topic-admin");
      if (e.code === KAFKA.UNKNOWN_SERVER_ERROR) ctx.deps.logError(error);
      results.push({ ...base, errorCode: e.code, errorMessage: e.message, configs: [] });
    }
  }
  return { throttleTimeMs: 0, results };
};

interface AlterResource {
  resourceType: number;
  resourceName: string;
  configs: { name: string; value: string | null; configOperation?: number }[];
}

const OP_SET = 0;
const OP_DELETE = 1;

/**
 * The changes one resource asks for, as a Floe config object. AlterConfigs replaces the whole
 * set (what it does not name goes back to the default); IncrementalAlterConfigs sets or deletes
 * single keys. APPEND / SUBTRACT (list values) have nothing to act on: cleanup.policy holds one.
 */
function changesOf(r: AlterResource, incremental: boolean): Record<string, unknown> {
  const out = new Map<string, unknown>();
  if (!incremental) for (const [k, v] of Object.entries(DEFAULT_TOPIC_CONFIG)) out.set(k, v);
  for (const c of r.configs) {
    const op = incremental ? (c.configOperation ?? OP_SET) : OP_SET;
    if (op === OP_DELETE) {
      const fallback = (DEFAULT_TOPIC_CONFIG as unknown as Record<string, unknown>)[c.name];
      if (fallback === undefined)
        throw new FloeError("invalid_request", `unknown topic config ${c.name}`, { config: c.name });
      out.set(c.name, fallback);
    } else if (op === OP_SET) {
      if (c.value === null)
        throw new FloeError("invalid_request", `config ${c.name} has no value`, { config: c.name });
      out.set(c.name, c.value);
    } else {
      throw new FloeError("invalid_request", `config operation ${op} is not supported for ${c.name}`, {
        config: c.name,
      });
    }
  }
  return Object.fromEntries(out);
}

function alterHandler(incremental: boolean): Handler {
  return async (message, ctx) => {
    const req = message as unknown as { resources: AlterResource[]; validateOnly: boolean };
    const responses: Message[] = [];
    for (const r of req.resources) {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      try {
        if (r.resourceType !== RESOURCE_TOPIC) {
          responses.push({
            ...base,
            errorCode: KAFKA.INVALID_REQUEST,
            errorMessage: "only topic configs can change",
          });
          continue;
        }
        const changes = changesOf(r, incremental);
        const current = await ctx.deps.log.topics.require(r.resourceName);
        if (req.validateOnly) mergeTopicConfig(current.config, changes);
        else await ctx.deps.log.topics.alter(r.resourceName, { config: changes });
        responses.push({ ...base, errorCode: KAFKA.NONE, errorMessage: null });
      } catch (error) {
        const e = kafkaError(error, "topic-admin");
        if (e.code === KAFKA.UNKNOWN_SERVER_ERROR) ctx.deps.logError(error);
        responses.push({ ...base, errorCode: e.code, errorMessage: e.message });
      }
    }
    return { throttleTimeMs: 0, responses };
  };
}

export const handleAlterConfigs: Handler = alterHandler(false);
export const handleIncrementalAlterConfigs: Handler = alterHandler(true);
