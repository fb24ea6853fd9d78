/**
 * Records as SDK users see them. Producers accept strings or bytes for convenience; consumers
 * always hand out bytes (what was stored, exactly) with `text()` for the common UTF-8 case.
 */
import type { DecodedRecord, RecordHeader, RecordInput } from "../format/index.js";
import { arr, fromBase64, int, type Json, obj, str, toBase64 } from "./wire.js";

export type { RecordHeader } from "../format/index.js";

/** A key, value or header value: UTF-8 text, raw bytes, or null (a null value is a tombstone). */
export type RecordData = string | Uint8Array | null;

/** What a producer sends. Only `value` is required. */
export interface ProducerRecord {
  key?: RecordData | undefined;
  value: RecordData;
  /** As an object (`{ "trace-id": "abc" }`) or, to repeat a name, as a list. */
  headers?: Record<string, string | Uint8Array> | { key: string; value: RecordData }[] | undefined;
  /** Milliseconds since the epoch; defaults to the time of `send()`. */
  timestamp?: number | undefined;
  /** Overrides the partitioner. */
  partition?: number | undefined;
}

/** Where a record landed once it is durable. */
export interface RecordMetadata {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
}

/** A record read from a partition. `key`, `value` and header values are the stored bytes. */
export interface ConsumerRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Bytes of a key or value as given to a producer.
 *
 * @example
 * toBytes("hi"); // Uint8Array [104, 105]
 */
export function toBytes(data: RecordData | undefined): Uint8Array | null {
  if (data === undefined || data === null) return null;
  return typeof data === "string" ? encoder.encode(data) : data;
}

/**
 * UTF-8 text of a consumed key or value (null stays null).
 *
 * @example
 * for await (const r of consumer) console.log(text(r.key), text(r.value));
 */
export function text(bytes: Uint8Array | null): string | null {
  return bytes === null ? null : decoder.decode(bytes);
}

function headersOf(headers: ProducerRecord["headers"]): RecordHeader[] {
  if (headers === undefined) return [];
  if (Array.isArray(headers)) return headers.map((h) => ({ key: h.key, value: toBytes(h.value) }));
  return Object.entries(headers).map(([key, value]) => ({ key, value: toBytes(value) }));
}

/**
 * The format library's record for a producer record, stamped `nowMs` when it has no timestamp.
 *
 * @example
 * toRecordInput({ key: "k", value: "v" }, Date.now());
 */
export function toRecordInput(record: ProducerRecord, nowMs: number): RecordInput {
  const timestamp = record.timestamp ?? nowMs;
  if (!(Number.isSafeInteger(timestamp) && timestamp >= 0)) {
    throw new RangeError(`record timestamp must be a non-negative integer (ms), got ${timestamp}`);
  }
  return {
    key: toBytes(record.key),
    value: toBytes(record.value),
    headers: headersOf(record.headers),
    timestamp,
  };
}

/** Bytes a record adds to a batch, near enough to size batches and the buffer (varint overhead ≤ 24). */
export function recordSizeBytes(record: RecordInput): number {
  let size = 24 + (record.key?.length ?? 0) + (record.value?.length ?? 0);
  for (const h of record.headers) size += 10 + h.key.length * 3 + (h.value?.length ?? 0);
  return size;
}

/** One record of a JSON produce body with `Floe-Format: base64`. */
export function toJsonRecord(record: RecordInput): Json {
  return {
    key: record.key === null ? null : toBase64(record.key),
    value: record.value === null ? null : toBase64(record.value),
    headers: record.headers.map((h) => ({ name: h.key, value: h.value === null ? null : toBase64(h.value) })),
    timestamp: record.timestamp,
  };
}

function optBase64(o: Json, field: string): Uint8Array | null {
  const v = o[field];
  return v === null || v === undefined ? null : fromBase64(str(o, field));
}

/** Parses the records of a JSON fetch reply read with `Floe-Format: base64`. */
export function fromJsonRecords(topic: string, partition: number, value: unknown): ConsumerRecord[] {
  return arr(value, "records").map((item, i) => {
    const o = obj(item, `records[${i}]`);
    const headers = arr(o.headers ?? [], `records[${i}].headers`).map((h, j) => {
      const ho = obj(h, `records[${i}].headers[${j}]`);
      return { key: str(ho, "name"), value: optBase64(ho, "value") };
    });
    return {
      topic,
      partition,
      offset: int(o, "offset"),
      timestamp: int(o, "timestamp"),
      key: optBase64(o, "key"),
      value: optBase64(o, "value"),
      headers,
    };
  });
}

/** A decoded binary record as a consumer record. */
export function fromDecoded(topic: string, partition: number, r: DecodedRecord): ConsumerRecord {
  return {
    topic,
    partition,
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key,
    value: r.value,
    headers: r.headers,
  };
}
