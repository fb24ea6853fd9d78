/**
 * The group routes through the sub-app mounted as the main app will mount it, with the main app's
 * validation hook and error rendering (functions/src/http), via `app.request`: no server.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { ERROR_TABLE, type ErrorCode } from "../../client/src/errors.js";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import { appendFromBatches } from "../../functions/src/engine/batch-validation.js";
import { FloeLog } from "../../functions/src/engine/log.js";
import { GroupCoordinator } from "../../functions/src/groups/group-coordinator.js";
import type { GroupLimits } from "../../functions/src/groups/group-limits.js";
import { logPartitionDirectory } from "../../functions/src/groups/partition-directory.js";
import { groupRoutes } from "../../functions/src/groups/routes.js";
import { errorResponse, toFloeError } from "../../functions/src/http/errors.js";
import { describeIssues, validationTarget } from "../../functions/src/http/validation.js";
import { batchOf } from "../support/engine-harness.js";
import { FakeClock } from "../support/fake-clock.js";

const BODY_LIMIT = 4_096;

async function build(limits: Partial<GroupLimits> = {}) {
  const clock = new FakeClock();
  const manifest = new MemoryManifestStore();
  const log = new FloeLog({ manifest, objects: new MemoryObjectStore(), clock });
  const topic = await log.topics.create("orders", 2);
  for (const p of [0, 1])
    await log.append([appendFromBatches(topic, p, batchOf(["a", "b", "c"], clock.now()))]);
  const coordinator = new GroupCoordinator({
    manifest,
    clock,
    partitions: logPartitionDirectory(log),
    limits,
  });
  // As createApp does: zod failures and thrown FloeErrors become the error table's JSON.
  const app = new OpenAPIHono({
    defaultHook: (result) => {
      if (!result.success) throw describeIssues(validationTarget(result.target), result.error);
    },
  });
  app.onError((error) => errorResponse(toFloeError(error, () => {})));
  app.route("/v1/groups", groupRoutes({ coordinator, requestBytesMax: BODY_LIMIT }));
  return { app, clock, coordinator };
}

type App = Awaited<ReturnType<typeof build>>["app"];

function send(
  app: App,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  const init: RequestInit = { method, headers: { "content-type": "application/json", ...headers } };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  return Promise.resolve(app.request(path, init));
}

async function json<T = Record<string, unknown>>(res: Response, status: number): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}

async function expectError(res: Response, code: ErrorCode): Promise<Record<string, unknown>> {
  const body = await json(res, ERROR_TABLE[code].status);
  expect(body.error_code).toBe(code);
  return body;
}

interface Assignment {
  member_id: string;
  generation: number;
  assignment: { topic: string; partitions: number[] }[];
  heartbeat_interval_ms: number;
}

describe("group routes", () => {
  let app: App;
  beforeEach(async () => {
    ({ app } = await build());
  });

  it("serve a member's whole life: join, heartbeat, commit, read offsets, describe, list, leave, reset", async () => {
    // Act
    const joined = await json<Assignment>(
      await send(app, "POST", "/v1/groups/billing/members", {
        topics: ["orders"],
        session_timeout_ms: 3_000,
      }),
      201,
    );
    const beat = await json<Assignment>(
      await send(app, "POST", `/v1/groups/billing/members/${joined.member_id}/heartbeat`, {
        generation: joined.generation,
        owned: joined.assignment,
      }),
      200,
    );
    const committed = await json(
      await send(app, "POST", "/v1/groups/billing/offsets", {
        member_id: joined.member_id,
        generation: beat.generation,
        offsets: [{ topic: "orders", partition: 1, offset: 2, metadata: "ok" }],
      }),
      200,
    );
    const offsets = await json(await send(app, "GET", "/v1/groups/billing/offsets?topic=orders"), 200);
    const described = await json(await send(app, "GET", "/v1/groups/billing"), 200);
    const listed = await json(await send(app, "GET", "/v1/groups"), 200);
    const left = await send(app, "DELETE", `/v1/groups/billing/members/${joined.member_id}`);
    const reset = await json(
      await send(app, "POST", "/v1/groups/billing/offsets/reset", { topic: "orders", to: "earliest" }),
      200,
    );
    // Assess
    expect(joined.assignment).toEqual([{ topic: "orders", partitions: [0, 1] }]);
    expect(joined.heartbeat_interval_ms).toBe(1_000);
    expect(beat).toEqual(joined);
    const expected = { offsets: [{ topic: "orders", partition: 1, offset: 2, metadata: "ok" }] };
    expect(committed).toEqual(expected);
    expect(offsets).toEqual(expected);
    expect(described).toMatchObject({
      group: "billing",
      state: "stable",
      members: [
        {
          member_id: joined.member_id,
          topics: ["orders"],
          assignment: [{ topic: "orders", partitions: [0, 1] }],
          revoking: [],
        },
      ],
      offsets: [
        { topic: "orders", partition: 0, committed_offset: null, lag: null, high_watermark: 3 },
        { topic: "orders", partition: 1, committed_offset: 2, lag: 1, high_watermark: 3 },
      ],
    });
    expect(listed).toEqual({ groups: [{ group: "billing" }] });
    expect(left.status).toBe(204);
    expect(reset).toEqual({
      offsets: [0, 1].map((partition) => ({ topic: "orders", partition, offset: 0, metadata: "" })),
    });
  });

  it("answer a zombie's commit 409 stale_generation and its heartbeat 404 member_not_found", async () => {
    // Prepare
    const { app, clock } = await build();
    const zombie = await json<Assignment>(
      await send(app, "POST", "/v1/groups/g/members", { topics: ["orders"], session_timeout_ms: 1_000 }),
      201,
    );
    clock.advance(1_001);
    // Act
    const commit = await send(app, "POST", "/v1/groups/g/offsets", {
      member_id: zombie.member_id,
      generation: zombie.generation,
      offsets: [{ topic: "orders", partition: 0, offset: 3 }],
    });
    const beat = await send(app, "POST", `/v1/groups/g/members/${zombie.member_id}/heartbeat`, {
      generation: zombie.generation,
      owned: [],
    });
    // Assess
    await expectError(commit, "stale_generation");
    await expectError(beat, "member_not_found");
    expect(await json(await send(app, "GET", "/v1/groups/g/offsets"), 200)).toEqual({ offsets: [] });
  });

  it("reject bad requests with the error table's codes and change nothing", async () => {
    // Act
    const results = await Promise.all([
      send(app, "POST", "/v1/groups/..%2Fx/members", { topics: ["orders"] }).then((r) =>
        expectError(r, "invalid_request"),
      ),
      send(app, "POST", "/v1/groups/g/members", "{not json").then((r) => expectError(r, "invalid_request")),
      send(app, "POST", "/v1/groups/g/members", { topics: ["orders"], sesion_timeout_ms: 3_000 }).then((r) =>
        expectError(r, "invalid_request"),
      ),
      send(
        app,
        "POST",
        "/v1/groups/g/members",
        { topics: ["orders"] },
        { "content-type": "text/plain" },
      ).then((r) => expectError(r, "unsupported_media_type")),
      send(app, "POST", "/v1/groups/g/members", { topics: Array(600).fill("orders") }).then((r) =>
        expectError(r, "request_too_large"),
      ),
      send(app, "POST", "/v1/groups/g/members", { topics: ["missing"] }).then((r) =>
        expectError(r, "topic_not_found"),
      ),
      send(app, "POST", "/v1/groups/g/members/someone/heartbeat", { generation: 1, owned: [] }).then((r) =>
        expectError(r, "group_not_found"),
      ),
      send(app, "GET", "/v1/groups/g").then((r) => expectError(r, "group_not_found")),
      send(app, "GET", "/v1/groups/g/offsets?topic=..").then((r) => expectError(r, "invalid_request")),
      send(app, "POST", "/v1/groups/g/offsets/reset", { topic: "orders", to: "yesterday" }).then((r) =>
        expectError(r, "invalid_request"),
      ),
    ]);
    // Assess
    expect(results[2]!.message).toContain("sesion_timeout_ms");
    expect(results[4]!.limit_bytes).toBe(BODY_LIMIT);
    expect(await json(await send(app, "GET", "/v1/groups"), 200)).toEqual({ groups: [] });
  });

  it("refuse a heartbeat's owned list past the partition limit before building it", async () => {
    // Prepare
    const small = await build({ maxPartitionsPerRequest: 8 });
    const joined = await json<Assignment>(
      await send(small.app, "POST", "/v1/groups/g/members", { topics: ["orders"] }),
      201,
    );
    const heartbeat = vi.spyOn(small.coordinator, "heartbeat");
    // Act
    const res = await send(small.app, "POST", `/v1/groups/g/members/${joined.member_id}/heartbeat`, {
      generation: joined.generation,
      owned: [
        { topic: "orders", partitions: [0, 1, 2, 3, 4] },
        { topic: "orders", partitions: [5, 6, 7, 8] },
      ],
    });
    // Assess
    const body = await expectError(res, "invalid_request");
    expect(body).toMatchObject({ field: "owned", limit: 8 });
    expect(heartbeat).not.toHaveBeenCalled();
  });

  it("refuse a reset while the group has live members", async () => {
    // Prepare
    await json(await send(app, "POST", "/v1/groups/g/members", { topics: ["orders"] }), 201);
    // Act
    const res = await send(app, "POST", "/v1/groups/g/offsets/reset", { topic: "orders", to: "latest" });
    // Assess
    const body = await expectError(res, "group_not_empty");
    expect(body.live_members).toBe(1);
  });

  it("appear in the OpenAPI document under /v1/groups once mounted", () => {
    // Act
    const doc = app.getOpenAPI31Document({ openapi: "3.1.0", info: { title: "t", version: "1" } });
    // Assess
    expect(Object.keys(doc.paths ?? {}).sort()).toEqual([
      "/v1/groups",
      "/v1/groups/{group}",
      "/v1/groups/{group}/members",
      "/v1/groups/{group}/members/{member}",
      "/v1/groups/{group}/members/{member}/heartbeat",
      "/v1/groups/{group}/offsets",
      "/v1/groups/{group}/offsets/reset",
    ]);
    const documented = (path: string) => {
      const route = doc.paths?.[path]?.post as { responses?: Record<string, { description?: string }> };
      return route.responses?.["409"]?.description ?? "";
    };
    expect(documented("/v1/groups/{group}/members")).toContain("group_full");
    expect(documented("/v1/groups/{group}/offsets/reset")).toContain("group_not_empty");
    expect(Object.keys(doc.components?.schemas ?? {})).toEqual(
      expect.arrayContaining([
        "JoinGroupRequest",
        "HeartbeatRequest",
        "CommitOffsetsRequest",
        "ResetOffsetsRequest",
        "GroupDescription",
      ]),
    );
  });
});
