/**
 * Kafka's error codes (protocol guide § Error Codes) and the one mapping from Floe's error table
 * (client/src/errors.ts) onto them. Every handler answers failures through `kafkaError`, so the
 * same engine failure reads the same way to every Kafka client.
 */
import { type ErrorCode, FloeError } from "../../../client/src/errors.js";

export const KAFKA = {
  UNKNOWN_SERVER_ERROR: -1,
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  REQUEST_TIMED_OUT: 7,
  MESSAGE_TOO_LARGE: 10,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  RECORD_LIST_TOO_LARGE: 18,
  NOT_ENOUGH_REPLICAS: 19,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  UNKNOWN_MEMBER_ID: 25,
  TOPIC_AUTHORIZATION_FAILED: 29,
  UNSUPPORTED_SASL_MECHANISM: 33,
  ILLEGAL_SASL_STATE: 34,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  INVALID_REQUEST: 42,
  POLICY_VIOLATION: 44,
  OUT_OF_ORDER_SEQUENCE_NUMBER: 45,
  INVALID_PRODUCER_EPOCH: 47,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
  SASL_AUTHENTICATION_FAILED: 58,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  GROUP_MAX_SIZE_REACHED: 81,
  INVALID_RECORD: 87,
} as const;

/**
 * Floe code → Kafka code. `throttled` becomes NOT_ENOUGH_REPLICAS: Kafka has no "slow down" code
 * for Produce, and this is the retriable one every client retries that certainly wrote nothing
 * (a throttled append is side-effect free). `unavailable` (outcome unknown) is REQUEST_TIMED_OUT,
 * exactly Kafka's meaning: retry, and only an idempotent producer retries without duplicates.
 */
const BY_FLOE_CODE: Record<ErrorCode, number> = {
  invalid_request: KAFKA.INVALID_REQUEST,
  unauthenticated: KAFKA.SASL_AUTHENTICATION_FAILED,
  forbidden: KAFKA.TOPIC_AUTHORIZATION_FAILED,
  topic_not_found: KAFKA.UNKNOWN_TOPIC_OR_PARTITION,
  partition_not_found: KAFKA.UNKNOWN_TOPIC_OR_PARTITION,
  group_not_found: KAFKA.GROUP_ID_NOT_FOUND,
  member_not_found: KAFKA.UNKNOWN_MEMBER_ID,
  route_not_found: KAFKA.INVALID_REQUEST,
  method_not_allowed: KAFKA.INVALID_REQUEST,
  topic_exists: KAFKA.TOPIC_ALREADY_EXISTS,
  stale_generation: KAFKA.ILLEGAL_GENERATION,
  group_not_empty: KAFKA.NON_EMPTY_GROUP,
  group_full: KAFKA.GROUP_MAX_SIZE_REACHED,
  group_protocol_mismatch: KAFKA.INCONSISTENT_GROUP_PROTOCOL,
  out_of_order_sequence: KAFKA.OUT_OF_ORDER_SEQUENCE_NUMBER,
  offset_mismatch: KAFKA.INVALID_REQUEST,
  producer_fenced: KAFKA.INVALID_PRODUCER_EPOCH,
  record_too_large: KAFKA.MESSAGE_TOO_LARGE,
  request_too_large: KAFKA.RECORD_LIST_TOO_LARGE,
  unsupported_media_type: KAFKA.INVALID_REQUEST,
  offset_out_of_range: KAFKA.OFFSET_OUT_OF_RANGE,
  throttled: KAFKA.NOT_ENOUGH_REPLICAS,
  // Same reasoning as `throttled`: retriable and certainly wrote nothing (idle producers expire).
  producer_limit: KAFKA.NOT_ENOUGH_REPLICAS,
  // HTTP parser refusals and timeouts: never produced by the Kafka listener, mapped for completeness.
  request_timeout: KAFKA.REQUEST_TIMED_OUT,
  url_too_long: KAFKA.INVALID_REQUEST,
  headers_too_large: KAFKA.INVALID_REQUEST,
  internal: KAFKA.UNKNOWN_SERVER_ERROR,
  unavailable: KAFKA.REQUEST_TIMED_OUT,
};

/** Where an `invalid_request` happened decides which of Kafka's finer codes it is. */
export type ErrorContext = "produce" | "topic-admin" | "general";

export interface KafkaErrorInfo {
  code: number;
  message: string;
}

export function kafkaError(error: unknown, context: ErrorContext = "general"): KafkaErrorInfo {
  if (!(error instanceof FloeError)) return { code: KAFKA.UNKNOWN_SERVER_ERROR, message: "internal error" };
  let code = BY_FLOE_CODE[error.code];
  if (error.code === "invalid_request") {
    if (context === "produce") {
      code = error.message.startsWith("invalid record batch") ? KAFKA.CORRUPT_MESSAGE : KAFKA.INVALID_RECORD;
      if (error.message.includes("compression")) code = KAFKA.UNSUPPORTED_COMPRESSION_TYPE;
    } else if (context === "topic-admin") {
      if (error.details.config !== undefined) code = KAFKA.INVALID_CONFIG;
      else if (error.details.topic !== undefined) code = KAFKA.INVALID_TOPIC_EXCEPTION;
      else if (error.message.includes("partition")) code = KAFKA.INVALID_PARTITIONS;
    }
  }
  return { code, message: error.message };
}
