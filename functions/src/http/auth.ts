/**
 * Optional bearer-token authentication: with no tokens configured (local use) every request
 * passes; otherwise every route but /healthz needs `Authorization: Bearer <token>`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { FloeError } from "../../../client/src/errors.js";

/** Routes a load balancer or orchestrator probes without credentials. */
export const PUBLIC_PATHS: ReadonlySet<string> = new Set(["/healthz"]);

const BEARER = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;

/** Hashing first gives equal-length inputs, so the comparison takes the same time whatever the token. */
function digest(token: string): Buffer {
  return createHash("sha256").update(token, "utf8").digest();
}

export function bearerAuth(tokens: readonly string[]): MiddlewareHandler {
  const accepted = tokens.map(digest);
  return async (c, next) => {
    if (accepted.length === 0 || PUBLIC_PATHS.has(c.req.path)) return next();
    const match = BEARER.exec(c.req.header("authorization") ?? "");
    if (!match) throw new FloeError("unauthenticated", "this server requires Authorization: Bearer <token>");
    const presented = digest(match[1]!);
    // Compare against every token (no early exit) so timing does not reveal which one matched.
    let ok = false;
    for (const token of accepted) ok = timingSafeEqual(token, presented) || ok;
    if (!ok) throw new FloeError("unauthenticated", "the bearer token is not valid");
    return next();
  };
}
