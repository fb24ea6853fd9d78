/** The served OpenAPI document describes exactly the routes the app serves. */
import { createRoute, OpenAPIHono, z } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { decimalInteger } from "../../functions/src/http/schemas.js";
import { buildHarness, TOKEN } from "./harness.js";

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  components: { schemas: Record<string, unknown> };
}

describe("GET /v1/openapi.json", () => {
  it("lists every route the app serves, and only those", async () => {
    // Prepare
    const h = await buildHarness();
    const served = new Set(
      h.app.routes
        .filter((r) => r.method !== "ALL")
        .map((r) => `${r.method} ${r.path.replace(/:([^/]+)/g, "{$1}")}`),
    );
    // Act
    const res = await h.request("/v1/openapi.json");
    const doc = (await res.json()) as OpenApiDocument;
    // Assess
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`),
      ),
    );
    expect(res.status).toBe(200);
    expect(doc.openapi).toBe("3.1.0");
    expect(served.size).toBeGreaterThanOrEqual(11);
    expect([...documented].sort()).toEqual([...served].sort());
    h.close();
  });

  it("documents the request bodies and the error schema of the routes", async () => {
    // Prepare
    const h = await buildHarness();
    // Act
    const doc = (await (await h.request("/v1/openapi.json")).json()) as OpenApiDocument;
    // Assess
    for (const name of [
      "ProduceRequest",
      "PartitionProduceRequest",
      "CreateTopicRequest",
      "AlterTopicRequest",
      "Error",
      "FetchReply",
    ]) {
      expect(Object.keys(doc.components.schemas)).toContain(name);
    }
    const produce = doc.paths["/v1/topics/{topic}/partitions/{partition}/records"]?.post;
    expect(Object.keys(produce?.responses ?? {})).toEqual(
      expect.arrayContaining(["200", "400", "409", "412", "413", "415"]),
    );
    h.close();
  });
});

describe("routes mounted after createApp", () => {
  it("share authentication, the error table, 405 detection and the document", async () => {
    // Prepare
    const h = await buildHarness({ apiTokens: [TOKEN] });
    const extra = new OpenAPIHono();
    extra.openapi(
      createRoute({
        method: "get",
        path: "/v1/extra/{n}",
        request: { params: z.object({ n: decimalInteger("n") }) },
        responses: {
          200: { description: "n", content: { "application/json": { schema: z.object({ n: z.number() }) } } },
        },
      }),
      (c) => c.json({ n: c.req.valid("param").n }, 200),
    );
    h.app.route("/", extra);
    // Act
    const ok = await h.request("/v1/extra/5");
    const invalid = await h.request("/v1/extra/x");
    const anonymous = await h.app.request("/v1/extra/5");
    const wrongMethod = await h.request("/v1/extra/5", { method: "DELETE" });
    const doc = (await (await h.request("/v1/openapi.json")).json()) as OpenApiDocument;
    // Assess
    expect(await ok.json()).toEqual({ n: 5 });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error_code: "invalid_request", field: "n" });
    expect(anonymous.status).toBe(401);
    expect(wrongMethod.status).toBe(405);
    expect(Object.keys(doc.paths)).toContain("/v1/extra/{n}");
    h.close();
  });
});
