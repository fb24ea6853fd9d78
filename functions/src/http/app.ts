/**
 * The one HTTP app (api.md): web-standard `fetch(Request) -> Response`, so the container agent
 * (@hono/node-server) and the Lambda handlers are thin adapters around the same code, and tests
 * call `app.request(...)` with no server. Routes are declared with zod schemas that validate the
 * requests, type the handlers and generate the OpenAPI document served at /v1/openapi.json.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { FloeError } from "../../../client/src/errors.js";
import { groupRoutes } from "../groups/routes.js";
import { bearerAuth } from "./auth.js";
import { registerConsoleRoutes } from "./console-assets.js";
import type { AppDeps } from "./deps.js";
import { errorResponse, stderrLogger, toFloeError } from "./errors.js";
import { registerFetchRoutes } from "./routes/fetch.js";
import { registerMetaRoutes } from "./routes/meta.js";
import { registerProduceRoutes } from "./routes/produce.js";
import { registerTopicRoutes } from "./routes/topics.js";
import { describeIssues, validationTarget } from "./validation.js";

export type { AppDeps } from "./deps.js";

export function createApp(deps: AppDeps): OpenAPIHono {
  const logError = deps.logError ?? stderrLogger;
  const app = new OpenAPIHono({
    // Zod failures of the path, query and headers: thrown, so onError replies with the table's JSON.
    defaultHook: (result) => {
      if (!result.success) throw describeIssues(validationTarget(result.target), result.error);
    },
  });
  app.onError((error, c) => {
    const failure = toFloeError(error, logError, { clientGone: c.req.raw.signal.aborted });
    const response = errorResponse(failure);
    if (failure.code === "unauthenticated") response.headers.set("WWW-Authenticate", 'Bearer realm="floe"');
    return response;
  });
  // Before authentication: the console's static files hold no data (docs/console.md).
  if (deps.console) registerConsoleRoutes(app, deps.console.assets);
  app.use("*", bearerAuth(deps.apiTokens));
  registerMetaRoutes(app, deps);
  registerTopicRoutes(app, deps);
  registerProduceRoutes(app, deps);
  registerFetchRoutes(app, deps);
  if (deps.groups)
    app.route(
      "/v1/groups",
      groupRoutes({ coordinator: deps.groups, requestBytesMax: deps.limits.requestBytesMax }),
    );
  // Patterns are built at the first 404, and again if routes were mounted since (e.g. the
  // consumer-group routes, added with `app.route("/", groupApp)` after createApp).
  let routes: { count: number; patterns: RoutePattern[] } | undefined;
  app.notFound((c) => {
    if (routes?.count !== app.routes.length)
      routes = { count: app.routes.length, patterns: routePatterns(app) };
    return notFound(c, routes.patterns);
  });
  return app;
}

interface RoutePattern {
  method: string;
  pattern: RegExp;
}

/** Every (method, path) the app serves, as patterns, to tell a wrong method (405) from a wrong path (404). */
function routePatterns(app: OpenAPIHono): RoutePattern[] {
  return app.routes
    .filter((r) => r.method !== "ALL")
    .map((r) => ({
      method: r.method,
      pattern: new RegExp(
        `^${r.path
          .split("/")
          .map((part) => (part.startsWith(":") ? "[^/]+" : escapeRegExp(part)))
          .join("/")}$`,
      ),
    }));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function notFound(c: Context, routes: RoutePattern[]): Response {
  const path = c.req.path;
  const allowed = [...new Set(routes.filter((r) => r.pattern.test(path)).map((r) => r.method))];
  if (allowed.length > 0) {
    if (allowed.includes("GET")) allowed.push("HEAD");
    const response = errorResponse(
      new FloeError(
        "method_not_allowed",
        `${c.req.method} is not allowed on ${path}; use ${allowed.join(", ")}`,
        { allow: allowed.join(", ") },
      ),
    );
    response.headers.set("Allow", allowed.join(", "));
    return response;
  }
  // Echo at most a bounded prefix of what the caller sent.
  const shown = path.slice(0, 300);
  return errorResponse(
    new FloeError("route_not_found", `no route ${c.req.method} ${shown}`, { path: shown }),
  );
}
