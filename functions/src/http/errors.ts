/**
 * Every failure leaves the app as one JSON body from the shared error table (client/src/errors.ts),
 * never as HTML or a stack trace. This module is the one place that turns whatever was thrown into
 * that reply.
 */
import { HTTPException } from "hono/http-exception";
import { type ErrorCode, FloeError } from "../../../client/src/errors.js";
import { FormatError } from "../../../client/src/format/index.js";
import { StoreUnavailableError } from "../ports/manifest-store.js";

/** Where unexpected exceptions go (with their stack); the reply never carries it. */
export type ErrorLogger = (error: unknown) => void;

export const stderrLogger: ErrorLogger = (error) => {
  console.error(
    "floe: unexpected error while serving a request:",
    error instanceof Error ? (error.stack ?? error.message) : error,
  );
};

/** Hono raises HTTPException for its own rejections; map the statuses it uses onto our codes. */
const HTTP_STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  400: "invalid_request",
  401: "unauthenticated",
  403: "forbidden",
  404: "route_not_found",
  405: "method_not_allowed",
  413: "request_too_large",
  415: "unsupported_media_type",
};

/** Node's errors for a peer that went away (`aborted` is ECONNRESET on an unfinished request body). */
const DISCONNECT_CODES = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE"]);

/**
 * True when `error` (or a cause of it) says the client disconnected: reset, broken pipe, a request
 * body cut short, a reply stream closed early. Expected on any server, so never logged as a bug.
 */
export function isClientDisconnect(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string" && DISCONNECT_CODES.has(code)) return true;
    current = current.cause;
  }
  return false;
}

/**
 * Translates anything thrown while serving a request into a FloeError; logs what was unexpected.
 * `clientGone` (the request's abort signal fired) or an error that says the client disconnected
 * gives a quiet `invalid_request` nobody will read, never an "unexpected error" with a stack.
 */
export function toFloeError(
  error: unknown,
  log: ErrorLogger,
  context: { clientGone?: boolean } = {},
): FloeError {
  if (error instanceof FloeError) {
    if (error.code === "internal") log(error);
    return error;
  }
  if (error instanceof FormatError) {
    // The format library is pure and knows nothing of HTTP: a body it rejects is the caller's fault.
    return error.reason === "too-large"
      ? new FloeError("record_too_large", error.message)
      : new FloeError("invalid_request", `invalid record batch: ${error.message}`);
  }
  if (error instanceof StoreUnavailableError) {
    // S3 or DynamoDB did not answer (throttling, 5xx, timeout): retriable, outcome of a write unknown.
    return new FloeError("unavailable", `storage unavailable: ${error.message}`, {}, 1);
  }
  if (error instanceof HTTPException) {
    const code = HTTP_STATUS_CODES[error.status];
    if (code) return new FloeError(code, error.message || code);
  }
  if (context.clientGone || isClientDisconnect(error)) {
    return new FloeError(
      "invalid_request",
      "the client closed the connection before the request was complete",
    );
  }
  log(error);
  return new FloeError("internal", "internal error; the request may or may not have taken effect");
}

/** The reply for an error: its table status, its JSON, and Retry-After for 429/503. */
export function errorResponse(error: FloeError): Response {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (error.status === 429 || error.status === 503)
    headers["Retry-After"] = String(Math.max(0, Math.ceil(error.retryAfterSeconds ?? 1)));
  return new Response(JSON.stringify(error.toJSON()), { status: error.status, headers });
}
