/**
 * What `floe` exits with, so scripts can branch without parsing stderr. Every server error code
 * maps to one class; docs/cli.md lists the table.
 */
import { type ErrorCode, FloeError } from "../errors.js";

export const EXIT = {
  ok: 0,
  /** Anything unexpected: a bug in floe or the server (`internal`). */
  failure: 1,
  /** Bad command line: unknown command or flag, missing argument. */
  usage: 2,
  /** The topic, partition, group or member does not exist. */
  notFound: 3,
  /** A conflict or failed precondition: topic exists, stale generation, fenced producer, ... */
  conflict: 4,
  /** Not authenticated or not allowed (check --token / FLOE_TOKEN). */
  auth: 5,
  /** The server rejected the input: invalid request, record too large, offset out of range. */
  rejected: 6,
  /** The server is unreachable, unavailable or throttling: retrying later may succeed. */
  unavailable: 7,
  /** Interrupted by SIGINT (128 + 2). */
  interrupted: 130,
} as const;

const BY_CODE: Record<ErrorCode, number> = {
  invalid_request: EXIT.rejected,
  unauthenticated: EXIT.auth,
  forbidden: EXIT.auth,
  topic_not_found: EXIT.notFound,
  partition_not_found: EXIT.notFound,
  group_not_found: EXIT.notFound,
  member_not_found: EXIT.notFound,
  route_not_found: EXIT.notFound,
  method_not_allowed: EXIT.rejected,
  request_timeout: EXIT.unavailable,
  url_too_long: EXIT.rejected,
  headers_too_large: EXIT.rejected,
  topic_exists: EXIT.conflict,
  stale_generation: EXIT.conflict,
  group_not_empty: EXIT.conflict,
  group_full: EXIT.conflict,
  group_protocol_mismatch: EXIT.conflict,
  out_of_order_sequence: EXIT.conflict,
  offset_mismatch: EXIT.conflict,
  producer_fenced: EXIT.conflict,
  producer_limit: EXIT.conflict,
  record_too_large: EXIT.rejected,
  request_too_large: EXIT.rejected,
  unsupported_media_type: EXIT.rejected,
  offset_out_of_range: EXIT.rejected,
  throttled: EXIT.unavailable,
  internal: EXIT.failure,
  unavailable: EXIT.unavailable,
};

/** A command-line mistake: reported with the usage hint and exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The exit code for an error.
 *
 * @example
 * process.exitCode = exitCodeOf(error); // 3 for topic_not_found
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof FloeError) return BY_CODE[error.code];
  return EXIT.failure;
}

/**
 * The one line printed on stderr for an error: `floe: topic_not_found: topic x does not exist`.
 *
 * @example
 * process.stderr.write(`${errorLine(error)}\n`);
 */
export function errorLine(error: unknown): string {
  if (error instanceof UsageError) return `floe: usage: ${oneLine(error.message)} (see floe --help)`;
  if (error instanceof Error && error.name === "InputError")
    return `floe: invalid_input: ${oneLine(error.message)}`;
  if (error instanceof FloeError) return `floe: ${error.code}: ${oneLine(error.message)}`;
  if (error instanceof Error) return `floe: error: ${oneLine(error.message)}`;
  return `floe: error: ${oneLine(String(error))}`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, " ").trim();
}
