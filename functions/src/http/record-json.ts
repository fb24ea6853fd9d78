/**
 * Records in JSON bodies <-> Kafka records (bytes), per the request's Floe-Format:
 *   utf8   keys, values and header values are strings stored as their UTF-8 bytes (the default);
 *   base64 they are standard base64 (padding optional) of arbitrary bytes;
 *   json   values are any JSON value stored as their UTF-8 JSON text; keys and header values are
 *          utf8 strings (a key must hash to the same partition whatever the format).
 * null is Kafka's null in every format (a null value is a tombstone).
 * Bytes that cannot be shown in the requested format are an error naming the offset, never
 * replacement characters: silently altering data is worse than asking for base64.
 */
import { Buffer } from "node:buffer";
import { type FloeError, invalidRequest } from "../../../client/src/errors.js";
import type { DecodedRecord, RecordHeader, RecordInput } from "../../../client/src/format/index.js";
import type { FetchedRecord, ProduceRecord, RecordFormat } from "./schemas.js";

/**
 * Deepest nesting of arrays and objects in a `json`-format value. V8's JSON.stringify recurses and
 * overflows the stack a few thousand levels down (a 500 for the request, or for every later fetch
 * of the record); 512 leaves that far behind and is far above what real payloads use.
 */
export const JSON_DEPTH_MAX = 512;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/** ES2024's String.prototype.isWellFormed (Node >= 20); the TS lib in use predates it. */
function isWellFormed(text: string): boolean {
  return (text as string & { isWellFormed(): boolean }).isWellFormed();
}

/** An unpaired surrogate (legal in JSON strings) would be stored as U+FFFD: refuse rather than alter data. */
function checkWellFormed(text: string, field: string): string {
  if (!isWellFormed(text)) {
    throw invalidRequest(
      `${field} holds an unpaired UTF-16 surrogate, which UTF-8 cannot store; use base64`,
      { field },
    );
  }
  return text;
}

/** True when `value` nests arrays and objects more than `max` levels deep (iterative: no recursion). */
function nestsDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (item === null || typeof item !== "object") continue;
    if (depth === max) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}

function utf8Bytes(text: string, field: string): Uint8Array {
  return Buffer.from(checkWellFormed(text, field), "utf8");
}

function stringToBytes(text: string, format: RecordFormat, field: string): Uint8Array {
  if (format !== "base64") return utf8Bytes(text, field);
  if (!BASE64.test(text)) throw invalidRequest(`${field} is not valid base64`, { field });
  return Buffer.from(text, "base64");
}

function nullableBytes(value: unknown, format: RecordFormat, field: string): Uint8Array | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "string") throw invalidRequest(`${field} must be a string or null`, { field });
  return stringToBytes(value, format, field);
}

/** A record from a JSON body as the encoder takes it; `defaultTimestamp` is the server's clock. */
export function recordFromJson(
  record: ProduceRecord,
  format: RecordFormat,
  index: number,
  defaultTimestamp: number,
): RecordInput {
  const at = `records[${index}]`;
  // Keys and header values are binary only in base64 format; json format keeps them utf8.
  const textFormat: RecordFormat = format === "base64" ? "base64" : "utf8";
  let value: Uint8Array | null;
  if (format === "json") {
    if (nestsDeeperThan(record.value, JSON_DEPTH_MAX)) {
      throw invalidRequest(`${at}.value nests arrays and objects deeper than ${JSON_DEPTH_MAX} levels`, {
        field: `${at}.value`,
        limit_depth: JSON_DEPTH_MAX,
      });
    }
    value =
      record.value === null || record.value === undefined
        ? null
        : Buffer.from(JSON.stringify(record.value), "utf8");
  } else {
    value = nullableBytes(record.value, format, `${at}.value`);
  }
  const headers: RecordHeader[] = (record.headers ?? []).map((h, i) => ({
    key: checkWellFormed(h.name, `${at}.headers[${i}].name`),
    value: nullableBytes(h.value, textFormat, `${at}.headers[${i}].value`),
  }));
  return {
    key: nullableBytes(record.key, textFormat, `${at}.key`),
    value,
    headers,
    timestamp: record.timestamp ?? defaultTimestamp,
  };
}

/**
 * Bytes a record contributes toward `max.message.bytes`: key, value, header names and values.
 * (Kafka measures the encoded batch; varint framing adds a few bytes more, which the batch
 * check in the engine allows for.)
 */
export function recordBytes(record: RecordInput): number {
  let n = (record.key?.byteLength ?? 0) + (record.value?.byteLength ?? 0);
  for (const h of record.headers) n += Buffer.byteLength(h.key, "utf8") + (h.value?.byteLength ?? 0);
  return n;
}

function unreadable(offset: number, what: string, format: RecordFormat): FloeError {
  return invalidRequest(
    `the ${what} of the record at offset ${offset} is not valid ${format === "json" ? "JSON" : "UTF-8"}; fetch with Floe-Format: base64`,
    {
      offset,
    },
  );
}

function bytesToText(
  bytes: Uint8Array | null,
  format: RecordFormat,
  offset: number,
  what: string,
): string | null {
  if (bytes === null) return null;
  if (format === "base64")
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  try {
    return utf8.decode(bytes);
  } catch {
    throw unreadable(offset, what, "utf8");
  }
}

/** A stored record as the JSON fetch reply shows it. */
export function recordToJson(record: DecodedRecord, format: RecordFormat): FetchedRecord {
  const textFormat: RecordFormat = format === "base64" ? "base64" : "utf8";
  let value: unknown = bytesToText(record.value, textFormat, record.offset, "value");
  if (format === "json" && typeof value === "string") {
    try {
      value = JSON.parse(value);
    } catch {
      throw unreadable(record.offset, "value", "json");
    }
    // Stored by another route (binary, utf8): the reply's JSON.stringify must not overflow.
    if (nestsDeeperThan(value, JSON_DEPTH_MAX)) {
      throw invalidRequest(
        `the value of the record at offset ${record.offset} nests deeper than ${JSON_DEPTH_MAX} levels; fetch with Floe-Format: base64`,
        { offset: record.offset, limit_depth: JSON_DEPTH_MAX },
      );
    }
  }
  return {
    key: bytesToText(record.key, textFormat, record.offset, "key"),
    value,
    headers: record.headers.map((h) => ({
      name: h.key,
      value: bytesToText(h.value, textFormat, record.offset, `header ${h.key}`),
    })),
    timestamp: record.timestamp,
    offset: record.offset,
  };
}
