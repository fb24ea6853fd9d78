/** The service's own routes: the health probe and the OpenAPI document of every route. */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { FloeError } from "../../../../client/src/errors.js";
import type { AppDeps } from "../deps.js";
import { errorResponse } from "../errors.js";
import { errorResponses } from "../schemas.js";

const healthRoute = createRoute({
  method: "get",
  path: "/healthz",
  summary: "Liveness probe (never needs a token); 503 unavailable while the agent drains",
  security: [],
  responses: {
    200: {
      description: "the process serves requests",
      content: {
        "application/json": {
          schema: z.object({
            status: z.literal("ok"),
            platform: z.enum(["container", "lambda"]),
            // The container agent's batcher: appends accepted since start, bytes not yet answered.
            accepted_appends: z.number().int().optional(),
            unacknowledged_bytes: z.number().int().optional(),
          }),
        },
      },
    },
    503: {
      description: "the agent is draining for shutdown (SIGTERM): send requests elsewhere",
      content: { "application/json": { schema: z.looseObject({ error_code: z.literal("unavailable") }) } },
    },
  },
});

const openApiRoute = createRoute({
  method: "get",
  path: "/v1/openapi.json",
  summary: "This document (OpenAPI 3.1)",
  responses: {
    200: {
      description: "the OpenAPI document",
      content: { "application/json": { schema: z.looseObject({ openapi: z.string() }) } },
    },
    ...errorResponses(),
  },
});

export function registerMetaRoutes(app: OpenAPIHono, deps: AppDeps): void {
  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "required when the server is configured with API tokens (FLOE_API_TOKENS)",
  });

  app.openapi(healthRoute, (c) => {
    if (deps.draining?.()) {
      // From the error table (unavailable, 503, Retry-After), plus `status` for probes that read it.
      const error = new FloeError("unavailable", "the agent is draining for shutdown", {
        status: "draining",
      });
      return errorResponse(error) as never;
    }
    const held = deps.appender.held;
    return c.json(
      {
        status: "ok" as const,
        platform: deps.platform,
        ...(held
          ? { accepted_appends: held.acceptedAppends, unacknowledged_bytes: held.unacknowledgedBytes }
          : {}),
      },
      200,
    );
  });

  // Generated once, at the first request; again only if routes were mounted since.
  let cached: { definitions: number; document: ReturnType<typeof app.getOpenAPI31Document> } | undefined;
  app.openapi(openApiRoute, (c) => {
    const definitions = app.openAPIRegistry.definitions.length;
    if (cached?.definitions !== definitions) cached = { definitions, document: openApiDocument(app, deps) };
    return c.json(cached.document, 200);
  });
}

export function openApiDocument(
  app: OpenAPIHono,
  deps: AppDeps,
): ReturnType<typeof app.getOpenAPI31Document> {
  const l = deps.limits;
  return app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title: "Floe HTTP API",
      version: "1",
      description:
        "Kafka's model (topics, partitions, offsets) over S3 and DynamoDB. Errors are always JSON " +
        "(schema Error) with one fixed table from error_code to status. Limits on this server " +
        `(${deps.platform}): request body ${l.requestBytesMax} bytes, ${l.requestRecordsMax} records per produce, ` +
        `fetch max_bytes ${l.fetchBytesMax}, max_records ${l.fetchRecordsMax}, wait ${l.waitMsMax / 1000} s.`,
    },
    security: [{ bearerAuth: [] }],
  });
}
