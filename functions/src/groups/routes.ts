/**
 * The consumer-group routes (api.md § Consumer groups) as a sub-app, paths relative to
 * `/v1/groups`: mount with `app.route("/v1/groups", groupRoutes(deps))`. Errors are thrown as
 * FloeError and rendered by the main app's error handler; bodies are read with the app's limit.
 */
import { createRoute, OpenAPIHono, type z } from "@hono/zod-openapi";
import { JSON_MEDIA_TYPE, readJsonBody } from "../http/body.js";
import { errorResponses } from "../http/schemas.js";
import type { TopicPartition } from "./assignment.js";
import type {
  CommittedOffset,
  GroupCoordinator,
  GroupDescription,
  MemberAssignment,
} from "./group-coordinator.js";
import {
  CommitOffsetsRequest,
  GroupDescriptionReply,
  GroupList,
  GroupParams,
  HeartbeatRequest,
  JoinGroupRequest,
  MemberAssignmentReply,
  MemberParams,
  OffsetsQuery,
  OffsetsReply,
  ResetOffsetsRequest,
} from "./group-schemas.js";
import { groupByTopic } from "./reconcile.js";
import { checkPartitionCount } from "./request-rules.js";

export interface GroupRouteDeps {
  coordinator: GroupCoordinator;
  /** Largest request body (the app's `limits.requestBytesMax`). */
  requestBytesMax: number;
}

const body = (refId: string) => ({
  required: true,
  content: { [JSON_MEDIA_TYPE]: { schema: { $ref: `#/components/schemas/${refId}` } } },
});
const json = <S extends z.ZodType>(description: string, schema: S) => ({
  description,
  content: { [JSON_MEDIA_TYPE]: { schema } },
});

const listRoute = createRoute({
  method: "get",
  path: "/",
  summary: "List consumer groups",
  responses: { 200: json("every group", GroupList), ...errorResponses() },
});

const describeRoute = createRoute({
  method: "get",
  path: "/{group}",
  summary: "Describe a group: members, assignment, committed offsets and lag",
  request: { params: GroupParams },
  responses: { 200: json("the group", GroupDescriptionReply), ...errorResponses("group_not_found") },
});

const joinRoute = createRoute({
  method: "post",
  path: "/{group}/members",
  summary: "Join a group (created on first join) and get an assignment",
  description:
    "The coordinator assigns (KIP-848 style). A partition still held by another member is not in the " +
    "assignment yet: it arrives in a later heartbeat, once its holder released it or expired.",
  request: { params: GroupParams, body: body("JoinGroupRequest") },
  responses: {
    201: json("joined", MemberAssignmentReply),
    ...errorResponses(
      "topic_not_found",
      "group_full",
      "group_protocol_mismatch",
      "request_too_large",
      "unsupported_media_type",
    ),
  },
});

const heartbeatRoute = createRoute({
  method: "post",
  path: "/{group}/members/{member}/heartbeat",
  summary: "Renew the lease, report owned partitions, get the current assignment",
  description:
    "Stop consuming (and commit) every owned partition missing from the reply's assignment, then list " +
    "only what you still hold in the next heartbeat: that releases it to its next owner. A 404 " +
    "member_not_found or 409 stale_generation means the membership is gone: stop everything and rejoin.",
  request: { params: MemberParams, body: body("HeartbeatRequest") },
  responses: {
    200: json("the current assignment", MemberAssignmentReply),
    ...errorResponses(
      "group_not_found",
      "member_not_found",
      "stale_generation",
      "request_too_large",
      "unsupported_media_type",
    ),
  },
});

const leaveRoute = createRoute({
  method: "delete",
  path: "/{group}/members/{member}",
  summary: "Leave the group (its partitions move at once; stop consuming first)",
  request: { params: MemberParams },
  responses: { 204: { description: "left" }, ...errorResponses("group_not_found", "member_not_found") },
});

const commitRoute = createRoute({
  method: "post",
  path: "/{group}/offsets",
  summary: "Commit offsets (each the next offset to read) for partitions this member holds",
  description:
    "Committed offsets never move backwards: a lower offset leaves the committed one unchanged, and " +
    "the reply shows the committed offsets after the call. A member that is no longer live or no " +
    "longer holds a partition gets 409 stale_generation.",
  request: { params: GroupParams, body: body("CommitOffsetsRequest") },
  responses: {
    200: json("committed", OffsetsReply),
    ...errorResponses("group_not_found", "stale_generation", "request_too_large", "unsupported_media_type"),
  },
});

const fetchOffsetsRoute = createRoute({
  method: "get",
  path: "/{group}/offsets",
  summary: "Committed offsets of a group",
  request: { params: GroupParams, query: OffsetsQuery },
  responses: { 200: json("committed offsets", OffsetsReply), ...errorResponses("group_not_found") },
});

const resetRoute = createRoute({
  method: "post",
  path: "/{group}/offsets/reset",
  summary: "Reset an inactive group's offsets to earliest, latest, a timestamp or an offset",
  description:
    "Refused (409 group_not_empty) while the group has live members. The one way a committed offset may move backwards.",
  request: { params: GroupParams, body: body("ResetOffsetsRequest") },
  responses: {
    200: json("the offsets after the reset", OffsetsReply),
    ...errorResponses(
      "group_not_found",
      "topic_not_found",
      "partition_not_found",
      "group_not_empty",
      "request_too_large",
      "unsupported_media_type",
    ),
  },
});

export function groupRoutes(deps: GroupRouteDeps): OpenAPIHono {
  const { coordinator, requestBytesMax } = deps;
  const app = new OpenAPIHono();
  for (const [name, schema] of Object.entries({
    JoinGroupRequest,
    HeartbeatRequest,
    CommitOffsetsRequest,
    ResetOffsetsRequest,
  })) {
    app.openAPIRegistry.register(name, schema);
  }

  app.openapi(listRoute, async (c) => {
    const groups = await coordinator.list();
    return c.json({ groups: groups.map((group) => ({ group })) }, 200);
  });

  app.openapi(describeRoute, async (c) => {
    const { group } = c.req.valid("param");
    return c.json(describeReply(await coordinator.describe(group)), 200);
  });

  app.openapi(joinRoute, async (c) => {
    const { group } = c.req.valid("param");
    const request = await readJsonBody(c.req.raw, requestBytesMax, JoinGroupRequest);
    const joined = await coordinator.join(group, {
      topics: request.topics,
      ...(request.session_timeout_ms !== undefined ? { sessionTimeoutMs: request.session_timeout_ms } : {}),
    });
    return c.json(assignmentReply(joined), 201);
  });

  app.openapi(heartbeatRoute, async (c) => {
    const { group, member } = c.req.valid("param");
    const request = await readJsonBody(c.req.raw, requestBytesMax, HeartbeatRequest);
    // Counted before flattening: a body of bare partition numbers would become millions of objects.
    const count = request.owned.reduce((n, { partitions }) => n + partitions.length, 0);
    checkPartitionCount(count, "owned", coordinator.limits);
    const owned = request.owned.flatMap(({ topic, partitions }) =>
      partitions.map((partition): TopicPartition => ({ topic, partition })),
    );
    return c.json(
      assignmentReply(await coordinator.heartbeat(group, member, { generation: request.generation, owned })),
      200,
    );
  });

  app.openapi(leaveRoute, async (c) => {
    const { group, member } = c.req.valid("param");
    await coordinator.leave(group, member);
    return c.body(null, 204);
  });

  app.openapi(commitRoute, async (c) => {
    const { group } = c.req.valid("param");
    const request = await readJsonBody(c.req.raw, requestBytesMax, CommitOffsetsRequest);
    const offsets = await coordinator.commit(group, {
      memberId: request.member_id,
      generation: request.generation,
      offsets: request.offsets.map((o) => ({
        topic: o.topic,
        partition: o.partition,
        offset: o.offset,
        ...(o.metadata !== undefined ? { metadata: o.metadata } : {}),
      })),
    });
    return c.json(offsetsReply(offsets), 200);
  });

  app.openapi(fetchOffsetsRoute, async (c) => {
    const { group } = c.req.valid("param");
    const { topic } = c.req.valid("query");
    return c.json(offsetsReply(await coordinator.fetchOffsets(group, topic)), 200);
  });

  app.openapi(resetRoute, async (c) => {
    const { group } = c.req.valid("param");
    const request = await readJsonBody(c.req.raw, requestBytesMax, ResetOffsetsRequest);
    const scope = { topic: request.topic, ...(request.partitions ? { partitions: request.partitions } : {}) };
    const target =
      request.to === "timestamp"
        ? { to: request.to, timestamp: request.timestamp }
        : request.to === "offset"
          ? { to: request.to, offset: request.offset }
          : { to: request.to };
    return c.json(offsetsReply(await coordinator.resetOffsets(group, { ...scope, ...target })), 200);
  });

  return app;
}

function assignmentReply(a: MemberAssignment) {
  return {
    member_id: a.memberId,
    generation: a.generation,
    assignment: groupByTopic(a.assignment),
    heartbeat_interval_ms: a.heartbeatIntervalMs,
  };
}

function offsetsReply(offsets: CommittedOffset[]) {
  return {
    offsets: offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      offset: o.offset,
      metadata: o.metadata,
    })),
  };
}

function describeReply(d: GroupDescription) {
  return {
    group: d.group,
    generation: d.generation,
    state: d.state,
    members: d.members.map((m) => ({
      member_id: m.memberId,
      topics: m.topics,
      session_timeout_ms: m.sessionTimeoutMs,
      generation: m.generation,
      assignment: groupByTopic(m.assignment),
      target_assignment: groupByTopic(m.target),
      revoking: groupByTopic(m.revoking),
      lease_expires_in_ms: m.leaseExpiresInMs,
    })),
    offsets: d.offsets.map((o) => ({
      topic: o.topic,
      partition: o.partition,
      committed_offset: o.committedOffset,
      metadata: o.metadata,
      high_watermark: o.highWatermark,
      log_start_offset: o.logStartOffset,
      lag: o.lag,
    })),
  };
}
