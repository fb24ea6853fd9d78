/**
 * Translation of AWS SDK failures at the adapter boundary: SDK error types never leak past the
 * adapters. Two outcomes besides the port's own errors (ConditionFailedError, ObjectNotFoundError):
 * - StoreUnavailableError: the store did not answer or answered with a transient failure. The SDK
 *   has already retried; for a write the outcome is unknown.
 * - a plain Error: the request itself was wrong (validation, missing table/bucket, access denied).
 *   That is a bug or a misconfiguration, never something a user caused, so it is not retriable.
 */
import { StoreUnavailableError } from "../../ports/manifest-store.js";

/** Service error names that mean "try again later" on S3 or DynamoDB. */
const TRANSIENT_ERROR_NAMES = new Set([
  "ThrottlingException",
  "Throttling",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "SlowDown",
  "ServiceUnavailable",
  "InternalServerError",
  "InternalError",
  "InternalFailure",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
  "AbortError",
]);

/** Socket-level failures from Node: the request may or may not have reached the store. */
const NETWORK_ERROR_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
  "UND_ERR_SOCKET",
]);

/** What the SDK attaches to errors; every field is optional because network errors carry none. */
interface SdkErrorShape {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

function shapeOf(error: unknown): SdkErrorShape {
  return typeof error === "object" && error !== null ? (error as SdkErrorShape) : {};
}

/** The service's error name (e.g. `NoSuchKey`, `ConditionalCheckFailedException`). */
export function awsErrorName(error: unknown): string | undefined {
  const name = shapeOf(error).name;
  return typeof name === "string" ? name : undefined;
}

export function awsErrorMessage(error: unknown): string | undefined {
  const message = shapeOf(error).message;
  return typeof message === "string" ? message : undefined;
}

export function awsHttpStatus(error: unknown): number | undefined {
  const status = shapeOf(error).$metadata?.httpStatusCode;
  return typeof status === "number" ? status : undefined;
}

export function isTransientAwsError(error: unknown): boolean {
  const shape = shapeOf(error);
  const status = awsHttpStatus(error);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (typeof shape.name === "string" && TRANSIENT_ERROR_NAMES.has(shape.name)) return true;
  if (typeof shape.code === "string" && NETWORK_ERROR_CODES.has(shape.code)) return true;
  if (shape.$retryable !== undefined && shape.$retryable !== null && shape.$retryable !== false) return true;
  // No HTTP status at all: the failure happened below HTTP (DNS, socket, TLS, timeout).
  return status === undefined && error instanceof Error && typeof shape.code === "string";
}

/**
 * `operation` names what was attempted (e.g. `DynamoDB PutItem p#1/head`) so the message says
 * where the failure happened without the caller adding context.
 */
export function translateAwsError(error: unknown, operation: string): Error {
  const name = awsErrorName(error) ?? "Error";
  const message = typeof shapeOf(error).message === "string" ? String(shapeOf(error).message) : String(error);
  if (isTransientAwsError(error)) {
    return new StoreUnavailableError(`${operation}: store unavailable (${name}: ${message})`, error);
  }
  return new Error(`${operation} failed: ${name}: ${message}`, { cause: error });
}
