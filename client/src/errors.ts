/**
 * The one error table shared by the server and the client (api.md § Errors).
 *
 * Every failure a user can see is a `FloeError` with a code from this table. The table fixes the
 * HTTP status, whether a retry may succeed (`retriable`), and whether the failure is guaranteed to
 * have had no side effect (`side_effect_free`): a client may blindly retry only what is both.
 * AWS SDK errors are translated into these codes at the adapter boundary and never leak.
 */
export const ERROR_TABLE = {
  invalid_request: { status: 400, retriable: false, side_effect_free: true },
  unauthenticated: { status: 401, retriable: false, side_effect_free: true },
  forbidden: { status: 403, retriable: false, side_effect_free: true },
  topic_not_found: { status: 404, retriable: false, side_effect_free: true },
  partition_not_found: { status: 404, retriable: false, side_effect_free: true },
  group_not_found: { status: 404, retriable: false, side_effect_free: true },
  member_not_found: { status: 404, retriable: false, side_effect_free: true },
  route_not_found: { status: 404, retriable: false, side_effect_free: true },
  method_not_allowed: { status: 405, retriable: false, side_effect_free: true },
  // Node's HTTP parser gave up waiting for the request's headers or body (headersTimeout,
  // requestTimeout): nothing was read, so a retry on a faster link may work.
  request_timeout: { status: 408, retriable: true, side_effect_free: true },
  topic_exists: { status: 409, retriable: false, side_effect_free: true },
  stale_generation: { status: 409, retriable: false, side_effect_free: true },
  // Kafka's NON_EMPTY_GROUP: offsets of a group can only be reset while no member is live.
  group_not_empty: { status: 409, retriable: false, side_effect_free: true },
  // Kafka's GROUP_MAX_SIZE_REACHED: retriable, since members leave and leases expire.
  group_full: { status: 409, retriable: true, side_effect_free: true },
  // A partition's idempotent-producer table is full (limits named in the details). Retriable:
  // idle producers expire; known producers are never evicted to make room.
  producer_limit: { status: 409, retriable: true, side_effect_free: true },
  // Kafka's INCONSISTENT_GROUP_PROTOCOL: the group id is in use by Kafka (classic protocol) consumers.
  group_protocol_mismatch: { status: 409, retriable: false, side_effect_free: true },
  out_of_order_sequence: { status: 409, retriable: false, side_effect_free: true },
  offset_mismatch: { status: 412, retriable: false, side_effect_free: true },
  producer_fenced: { status: 412, retriable: false, side_effect_free: true },
  record_too_large: { status: 413, retriable: false, side_effect_free: true },
  request_too_large: { status: 413, retriable: false, side_effect_free: true },
  // The request line alone is over the HTTP parser's header limit (16 KiB by default).
  url_too_long: { status: 414, retriable: false, side_effect_free: true },
  unsupported_media_type: { status: 415, retriable: false, side_effect_free: true },
  offset_out_of_range: { status: 416, retriable: false, side_effect_free: true },
  throttled: { status: 429, retriable: true, side_effect_free: true },
  // Request line and headers together are over the HTTP parser's limit.
  headers_too_large: { status: 431, retriable: false, side_effect_free: true },
  internal: { status: 500, retriable: true, side_effect_free: false },
  // `unavailable` may follow a write whose outcome is unknown (e.g. the commit timed out):
  // retrying it is only safe with an idempotent producer.
  unavailable: { status: 503, retriable: true, side_effect_free: false },
} as const satisfies Record<string, { status: number; retriable: boolean; side_effect_free: boolean }>;

export type ErrorCode = keyof typeof ERROR_TABLE;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_TABLE, code);
}

/** Extra, code-specific fields that help the caller recover (e.g. `expected_offset`, `limit_bytes`). */
export type ErrorDetails = Record<string, string | number | boolean | null | undefined>;

/** The JSON body of every error reply. */
export interface ErrorBody extends ErrorDetails {
  error_code: ErrorCode;
  message: string;
  retriable: boolean;
}

export class FloeError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retriable: boolean;
  readonly details: ErrorDetails;
  /** Seconds the caller should wait before retrying (429/503), if known. */
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, details: ErrorDetails = {}, retryAfterSeconds?: number) {
    super(message);
    this.name = "FloeError";
    this.code = code;
    this.status = ERROR_TABLE[code].status;
    this.retriable = ERROR_TABLE[code].retriable;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** True when the operation certainly had no effect, so it can be retried without duplicating. */
  get sideEffectFree(): boolean {
    return ERROR_TABLE[this.code].side_effect_free;
  }

  toJSON(): ErrorBody {
    return { ...this.details, error_code: this.code, message: this.message, retriable: this.retriable };
  }

  /** Rebuilds an error from a reply body (client side); unknown shapes become `internal`. */
  static fromBody(status: number, body: unknown, retryAfterSeconds?: number): FloeError {
    if (body && typeof body === "object" && isErrorCode((body as { error_code?: unknown }).error_code)) {
      const { error_code, message, retriable: _r, ...rest } = body as ErrorBody;
      return new FloeError(
        error_code,
        String(message ?? error_code),
        rest as ErrorDetails,
        retryAfterSeconds,
      );
    }
    const code: ErrorCode = status === 429 ? "throttled" : status >= 500 ? "unavailable" : "invalid_request";
    return new FloeError(code, `unexpected reply with HTTP status ${status}`, { status }, retryAfterSeconds);
  }
}

export function invalidRequest(message: string, details: ErrorDetails = {}): FloeError {
  return new FloeError("invalid_request", message, details);
}
