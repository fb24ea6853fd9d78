/**
 * Request and response headers (protocol guide § Headers; KIP-482 for the flexible ones):
 *
 *   Request Header v1 => request_api_key:INT16 request_api_version:INT16 correlation_id:INT32
 *                        client_id:NULLABLE_STRING
 *   Request Header v2 => v1 + TAGGED_FIELDS          (flexible request versions)
 *     client_id stays a NULLABLE_STRING (not compact) in v2, so old brokers can still read it.
 *   Response Header v0 => correlation_id:INT32
 *   Response Header v1 => correlation_id TAGGED_FIELDS (flexible versions, except ApiVersions: always v0)
 */
import { decodeStruct } from "./codec.js";
import { KafkaReader, KafkaWriter } from "./primitives.js";
import { inRange, type MessageSchema } from "./schema.js";
import { API_KEYS } from "./schemas/index.js";

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** The fixed part every request starts with; enough to answer or refuse it. */
export function readRequestHeader(frame: Uint8Array): { header: RequestHeader; reader: KafkaReader } {
  const reader = new KafkaReader(frame);
  const apiKey = reader.int16();
  const apiVersion = reader.int16();
  const correlationId = reader.int32();
  const clientId = reader.string(false, true);
  return { header: { apiKey, apiVersion, correlationId, clientId }, reader };
}

export function isFlexible(schema: MessageSchema, version: number): boolean {
  return version >= schema.flexibleFrom;
}

export function supports(schema: MessageSchema, version: number): boolean {
  return inRange(schema.versions, version);
}

/** Skips the header's tagged fields (flexible versions); none are defined that we use. */
export function skipHeaderTags(reader: KafkaReader, schema: MessageSchema, version: number): void {
  if (isFlexible(schema, version)) decodeStruct(reader, [], version, true);
}

/** Response header bytes for a request (see the grammar above for the ApiVersions exception). */
export function responseHeader(schema: MessageSchema, version: number, correlationId: number): Uint8Array {
  const w = new KafkaWriter(8).int32(correlationId);
  if (isFlexible(schema, version) && schema.apiKey !== API_KEYS.apiVersions) w.uvarint(0);
  return w.finish();
}
