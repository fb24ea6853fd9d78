/**
 * The records section of a v2 batch (uncompressed, or the content of its LZ4 frame):
 *
 *   Record => length:varint attributes:int8 timestampDelta:varlong offsetDelta:varint
 *             keyLength:varint key:byte[keyLength] valueLength:varint value:byte[valueLength]
 *             headerCount:varint Header[headerCount]
 *     length      => bytes from attributes to the end of the record
 *     keyLength   => -1 for a null key (likewise valueLength)
 *     attributes  => unused, written as 0
 *   Header => keyLength:varint key:utf8[keyLength] valueLength:varint value:byte[valueLength]
 *
 * Encoding is two passes over the input: sizes first (the length prefix must be minimal, so it
 * cannot be reserved and back-patched), then one write into a buffer of exactly that size.
 */

import { FormatError } from "./errors.js";
import type { BatchHeader, DecodedRecord, RecordHeader, RecordInput } from "./types.js";
import {
  type ByteReader,
  type ByteWriter,
  sizeOfVarint,
  sizeOfVarintBytes,
  sizeOfVarlong,
  utf8Length,
} from "./varint.js";

/** Smallest possible record: length, attributes, timestampDelta, offsetDelta, key, value, headerCount. */
export const MIN_RECORD_BYTES = 7;

export interface RecordsPlan {
  /** Body size (after the length varint) of each record. */
  bodyBytes: Int32Array;
  /** UTF-8 length of every header key, records in order, headers in order. */
  headerKeyBytes: number[];
  /** Bytes of the whole records section. */
  totalBytes: number;
}

/** Sizes every record; `firstTimestamp` and `offsetDeltas` are already validated by the caller. */
export function planRecords(
  records: RecordInput[],
  firstTimestamp: number,
  offsetDeltas: ArrayLike<number>,
): RecordsPlan {
  const bodyBytes = new Int32Array(records.length);
  const headerKeyBytes: number[] = [];
  let totalBytes = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    checkBytes(record.key, "key", i);
    checkBytes(record.value, "value", i);
    const headers = record.headers;
    if (!Array.isArray(headers)) throw new FormatError("invalid", `record ${i}: headers must be an array`);
    let size =
      1 +
      sizeOfVarlong(record.timestamp - firstTimestamp) +
      sizeOfVarint(offsetDeltas[i]!) +
      sizeOfVarintBytes(record.key) +
      sizeOfVarintBytes(record.value) +
      sizeOfVarint(headers.length);
    for (const header of headers) {
      if (typeof header.key !== "string")
        throw new FormatError("invalid", `record ${i}: header key must be a string`);
      checkBytes(header.value, "header value", i);
      const keyBytes = utf8Length(header.key);
      headerKeyBytes.push(keyBytes);
      size += sizeOfVarint(keyBytes) + keyBytes + sizeOfVarintBytes(header.value);
    }
    if (size > 0x7fffffff - 5) throw new FormatError("invalid", `record ${i} is too large`);
    bodyBytes[i] = size;
    totalBytes += sizeOfVarint(size) + size;
  }
  if (totalBytes > 0x7fffffff) throw new FormatError("invalid", "records exceed 2 GiB");
  return { bodyBytes, headerKeyBytes, totalBytes };
}

function checkBytes(data: Uint8Array | null, what: string, index: number): void {
  // The tag, not instanceof: arrays from another realm (iframe, worker, vm) are valid input too.
  if (data !== null && Object.prototype.toString.call(data) !== "[object Uint8Array]") {
    throw new FormatError("invalid", `record ${index}: ${what} must be a Uint8Array or null`);
  }
}

export function writeRecords(
  w: ByteWriter,
  records: RecordInput[],
  firstTimestamp: number,
  offsetDeltas: ArrayLike<number>,
  plan: RecordsPlan,
): void {
  let keyIndex = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    w.varint(plan.bodyBytes[i]!)
      .int8(0)
      .varlong(record.timestamp - firstTimestamp)
      .varint(offsetDeltas[i]!)
      .varintBytes(record.key)
      .varintBytes(record.value)
      .varint(record.headers.length);
    for (const header of record.headers) {
      w.varintString(header.key, plan.headerKeyBytes[keyIndex++]!).varintBytes(header.value);
    }
  }
}

/**
 * Decodes exactly `header.recordCount` records filling `r` to its end. Keys, values and header
 * values are views into `r.buf` (no copies): copy them if the buffer is reused.
 */
export function readRecords(r: ByteReader, header: BatchHeader, out: DecodedRecord[]): void {
  const count = header.recordCount;
  // Bound the count by the bytes before trusting it for any work or allocation.
  if (count > r.remaining / MIN_RECORD_BYTES) {
    throw new FormatError("malformed", `${count} records cannot fit in ${r.remaining} bytes`, r.pos);
  }
  const { baseOffset, firstTimestamp, maxTimestamp, lastOffsetDelta } = header;
  const logAppendTime = header.timestampType === "log-append";
  let previousDelta = -1;
  for (let i = 0; i < count; i++) {
    const at = r.pos;
    const length = r.varint();
    if (length < MIN_RECORD_BYTES - 1) throw new FormatError("malformed", `record length ${length}`, at);
    if (length > r.remaining)
      throw new FormatError("truncated", `record of ${length} bytes runs past the batch`, at);
    const end = r.pos + length;
    r.skip(1); // record attributes: unused since magic 2
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    // Deltas only grow within a batch (compaction leaves gaps, never reorders).
    if (offsetDelta <= previousDelta || offsetDelta > lastOffsetDelta) {
      throw new FormatError(
        "malformed",
        `offset delta ${offsetDelta} out of order or past lastOffsetDelta`,
        at,
      );
    }
    previousDelta = offsetDelta;
    const key = r.varintBytes();
    const value = r.varintBytes();
    const headerAt = r.pos;
    const headerCount = r.varint();
    // Each header takes at least 2 bytes (two varint lengths).
    if (headerCount < 0 || headerCount > (end - r.pos) / 2) {
      throw new FormatError("malformed", `header count ${headerCount}`, headerAt);
    }
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const headerKey = r.varintString();
      headers.push({ key: headerKey, value: r.varintBytes() });
    }
    if (r.pos !== end)
      throw new FormatError("malformed", `record fields take ${r.pos - at} bytes, not ${length}`, at);
    const timestamp = logAppendTime ? maxTimestamp : firstTimestamp + timestampDelta;
    if (!Number.isSafeInteger(timestamp)) throw new FormatError("unsupported", "timestamp beyond 2^53", at);
    out.push({ key, value, headers, timestamp, offset: baseOffset + offsetDelta });
  }
  if (r.remaining !== 0)
    throw new FormatError("malformed", `${r.remaining} bytes after the last record`, r.pos);
}
