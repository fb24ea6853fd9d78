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

/** Translates anything thrown while serving a request into a FloeError; logs what was unexpected. */
export function toFloeError(error: unknown, log: ErrorLogger): FloeError {
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
