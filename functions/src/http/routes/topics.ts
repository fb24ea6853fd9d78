/** Topic administration (api.md § Topics): create, list, describe, alter, delete. */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { FloeError } from "../../../../client/src/errors.js";
import type { FloeLog } from "../../engine/log.js";
import type { TopicMeta } from "../../engine/model.js";
import { JSON_MEDIA_TYPE, readJsonBody } from "../body.js";
import type { AppDeps } from "../deps.js";
import { errorResponses, TopicParams } from "../schemas.js";
import {
  AlterTopicRequest,
  CreateTopicRequest,
  RequestIdHeaders,
  type TopicDescription,
  TopicDescription as TopicDescriptionSchema,
  TopicList,
} from "../topic-schemas.js";

/** Head reads in flight while describing a topic (up to 1024 partitions). */
const DESCRIBE_CONCURRENCY = 16;

const jsonBody = (refId: string) => ({
  required: true,
  content: { [JSON_MEDIA_TYPE]: { schema: { $ref: `#/components/schemas/${refId}` } } },
});
const describedTopic = (description: string) => ({
  description,
  content: { [JSON_MEDIA_TYPE]: { schema: TopicDescriptionSchema } },
});

const createTopicRoute = createRoute({
  method: "post",
  path: "/v1/topics",
  summary: "Create a topic",
  request: { headers: RequestIdHeaders, body: jsonBody("CreateTopicRequest") },
  responses: {
    201: describedTopic("created"),
    ...errorResponses("topic_exists", "request_too_large", "unsupported_media_type"),
  },
});

const listTopicsRoute = createRoute({
  method: "get",
  path: "/v1/topics",
  summary: "List topics",
  responses: {
    200: { description: "every topic", content: { [JSON_MEDIA_TYPE]: { schema: TopicList } } },
    ...errorResponses(),
  },
});

const describeTopicRoute = createRoute({
  method: "get",
  path: "/v1/topics/{topic}",
  summary: "Describe a topic: config and each partition's bounds",
  request: { params: TopicParams },
  responses: { 200: describedTopic("the topic"), ...errorResponses("topic_not_found") },
});

const alterTopicRoute = createRoute({
  method: "patch",
  path: "/v1/topics/{topic}",
  summary: "Grow the partition count and/or change config",
  request: { params: TopicParams, body: jsonBody("AlterTopicRequest") },
  responses: {
    200: describedTopic("the topic as changed"),
    ...errorResponses("topic_not_found", "request_too_large", "unsupported_media_type"),
  },
});

const deleteTopicRoute = createRoute({
  method: "delete",
  path: "/v1/topics/{topic}",
  summary: "Delete a topic (its data is collected by maintenance)",
  request: { params: TopicParams, headers: RequestIdHeaders },
  responses: { 204: { description: "deleted" }, ...errorResponses("topic_not_found") },
});

function summary(topic: TopicMeta) {
  return {
    name: topic.name,
    topic_id: topic.topicId,
    partition_count: topic.partitions,
    created_at: topic.createdAt,
    config: { ...topic.config },
  };
}

async function describe(log: FloeLog, topic: TopicMeta): Promise<TopicDescription> {
  const partitions: TopicDescription["partitions"] = [];
  for (let from = 0; from < topic.partitions; from += DESCRIBE_CONCURRENCY) {
    const group = Array.from(
      { length: Math.min(DESCRIBE_CONCURRENCY, topic.partitions - from) },
      (_, i) => from + i,
    );
    const heads = await Promise.all(group.map((p) => log.head(topic, p)));
    for (const head of heads) {
      partitions.push({
        partition: head.partition,
        high_watermark: head.nextOffset,
        log_start_offset: head.logStartOffset,
        last_timestamp: head.lastTimestamp,
      });
    }
  }
  return { ...summary(topic), partitions };
}

export function registerTopicRoutes(app: OpenAPIHono, deps: AppDeps): void {
  app.openAPIRegistry.register("CreateTopicRequest", CreateTopicRequest);
  app.openAPIRegistry.register("AlterTopicRequest", AlterTopicRequest);
  const bodyLimit = deps.limits.requestBytesMax;

  app.openapi(createTopicRoute, async (c) => {
    const requestId = c.req.valid("header")["Floe-Request-Id"];
    const body = await readJsonBody(c.req.raw, bodyLimit, CreateTopicRequest);
    const topic = await deps.log.topics.create(body.name, body.partitions ?? 1, body.config, requestId);
    // A new topic's partitions are all empty: no need to read the heads just written. A retried
    // create (same Floe-Request-Id) gets the same answer as its first attempt.
    const partitions = Array.from({ length: topic.partitions }, (_, partition) => ({
      partition,
      high_watermark: 0,
      log_start_offset: 0,
      last_timestamp: -1,
    }));
    return c.json({ ...summary(topic), partitions }, 201);
  });

  app.openapi(listTopicsRoute, async (c) => {
    const topics = await deps.log.topics.list();
    topics.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return c.json({ topics: topics.map(summary) }, 200);
  });

  app.openapi(describeTopicRoute, async (c) => {
    const { topic: name } = c.req.valid("param");
    // Fresh, not cached: a describe right after another agent's change must show it.
    const topic = await deps.log.topics.get(name, true);
    if (!topic) throw new FloeError("topic_not_found", `topic ${name} does not exist`, { topic: name });
    return c.json(await describe(deps.log, topic), 200);
  });

  app.openapi(alterTopicRoute, async (c) => {
    const { topic: name } = c.req.valid("param");
    const body = await readJsonBody(c.req.raw, bodyLimit, AlterTopicRequest);
    const topic = await deps.log.topics.alter(name, {
      ...(body.partitions !== undefined ? { partitions: body.partitions } : {}),
      ...(body.config !== undefined ? { config: body.config } : {}),
    });
    return c.json(await describe(deps.log, topic), 200);
  });

  app.openapi(deleteTopicRoute, async (c) => {
    const { topic: name } = c.req.valid("param");
    await deps.log.topics.delete(name, c.req.valid("header")["Floe-Request-Id"]);
    return c.body(null, 204);
  });
}
