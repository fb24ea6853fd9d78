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

/**
 * Whether a presented token is one of `tokens` (FLOE_API_TOKENS): the one check the HTTP bearer
 * auth and the Kafka listener's SASL/PLAIN share.
 */
export function tokenChecker(tokens: readonly string[]): (presented: string) => boolean {
  const accepted = tokens.map(digest);
  return (presented) => {
    const hashed = digest(presented);
    // Compare against every token (no early exit) so timing does not reveal which one matched.
    let ok = false;
    for (const token of accepted) ok = timingSafeEqual(token, hashed) || ok;
    return ok;
  };
}

export function bearerAuth(tokens: readonly string[]): MiddlewareHandler {
  const accepts = tokenChecker(tokens);
  return async (c, next) => {
    if (tokens.length === 0 || PUBLIC_PATHS.has(c.req.path)) return next();
    const match = BEARER.exec(c.req.header("authorization") ?? "");
    if (!match) throw new FloeError("unauthenticated", "this server requires Authorization: Bearer <token>");
    if (!accepts(match[1]!)) throw new FloeError("unauthenticated", "the bearer token is not valid");
    return next();
  };
}
