/**
 * Deep validation of batches a producer hands in, before anything is stored (Kafka's
 * LogValidator does the same on its brokers). `splitBatches` checks the 61-byte headers and the
 * CRCs; a CRC only proves the bytes arrived as the producer wrote them, not that it wrote a valid
 * batch. A batch with a correct CRC and a broken records section, once stored, would make every
 * later read of its range fail: so every record of every batch is walked here, with the same
 * grammar records.ts decodes (repeated here without building records: this runs on every
 * produced byte, so it reads lengths and skips bytes, and allocates nothing per record).
 *
 *   Record => length:varint attributes:int8 timestampDelta:varlong offsetDelta:varint
 *             keyLength:varint key:byte[keyLength] valueLength:varint value:byte[valueLength]
 *             headerCount:varint Header[headerCount]
 *   Header => keyLength:varint key:utf8[keyLength] valueLength:varint value:byte[valueLength]
 *
 * Checked, per batch: the header as `readBatchHeader` checks it (with the CRC); the codec (none, or
 * gzip, snappy, lz4 or zstd data that decompresses within the byte budget); per record: varints that end and fit 32/64
 * bits, key/value lengths >= -1 and header key lengths >= 0 that stay inside the record, a header
 * count that is not negative and fits in the record's remaining bytes, a record length equal to
 * the bytes its fields take, timestamps that stay safe integers, offset deltas exactly 0, 1, 2, …
 * (produced offsets are dense); then `recordCount` (at least 1) equal to the records present, with
 * no bytes after the last one, and `lastOffsetDelta = recordCount - 1`.
 *
 * Anything this accepts, `decodeRecordBatches` decodes (the property test in
 * test/unit/format/validate-batch.test.ts holds the two together).
 */

import { FormatError } from "./errors.js";
import {
  BATCH_HEADER_BYTES,
  batchSizeBytes,
  DEFAULT_MAX_UNCOMPRESSED_BYTES,
  decompressRecords,
  readBatchHeader,
} from "./record-batch.js";
import { MIN_RECORD_BYTES } from "./records.js";
import type { BatchHeader } from "./types.js";
import { ByteReader } from "./varint.js";

export interface ValidatedBatch {
  /** Where the batch starts in the buffer. */
  pos: number;
  header: BatchHeader;
  sizeBytes: number;
  /** Bytes of the records section once decompressed (= stored bytes for `none`). */
  recordsBytes: number;
}

export interface ValidateBatchOptions {
  /**
   * Cap on bytes produced by decompression, summed over the call. The default is the reader's
   * (`decodeRecordBatches`) so that whatever is accepted can be decoded again on every read.
   */
  maxUncompressedBytes?: number;
}

/**
 * Validates the one batch at `pos` of `buf` (header, CRC, codec, every record); throws a
 * FormatError naming the record and what is wrong. For callers that already split a body
 * (the Kafka listener); `validateBatches` walks a whole body.
 */
export function validateBatchRecords(
  buf: Uint8Array,
  pos = 0,
  options: ValidateBatchOptions = {},
): ValidatedBatch {
  return validateOne(buf, pos, 0, options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES);
}

/**
 * Validates every batch of a concatenation (a binary produce body): all of them, before the
 * caller stores any. Error messages start with `batch <i> (at byte <pos>)`.
 */
export function validateBatches(buf: Uint8Array, options: ValidateBatchOptions = {}): ValidatedBatch[] {
  let budget = options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES;
  const out: ValidatedBatch[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const batch = validateOne(buf, pos, out.length, budget);
    if (batch.header.compression !== "none") budget -= batch.recordsBytes;
    out.push(batch);
    pos += batch.sizeBytes;
  }
  return out;
}

function validateOne(buf: Uint8Array, pos: number, index: number, budget: number): ValidatedBatch {
  const where = `batch ${index} (at byte ${pos})`;
  let header: BatchHeader;
  try {
    header = readBatchHeader(buf, pos, { verifyCrc: true });
  } catch (error) {
    throw contextual(error, where);
  }
  const sizeBytes = batchSizeBytes(header);
  const recordsStart = pos + BATCH_HEADER_BYTES;
  const end = pos + sizeBytes;
  // Kafka's LogValidator refuses empty batches from producers too (they only come from compaction).
  if (header.recordCount < 1)
    throw new FormatError("malformed", `${where}: a produced batch holds no record`);
  if (header.lastOffsetDelta !== header.recordCount - 1) {
    throw new FormatError(
      "malformed",
      `${where}: lastOffsetDelta ${header.lastOffsetDelta} for ${header.recordCount} records (produced offsets are dense)`,
    );
  }
  let reader: ByteReader;
  if (header.compression === "none") reader = new ByteReader(buf, recordsStart, end);
  else {
    try {
      reader = new ByteReader(decompressRecords(header.compression, buf.subarray(recordsStart, end), budget));
    } catch (error) {
      const what =
        error instanceof FormatError && error.reason === "too-large"
          ? `records decompress beyond ${budget} bytes`
          : `compression ${header.compression}, but the records do not decompress as ${header.compression}`;
      throw contextual(error, `${where}: ${what}`);
    }
  }
  const recordsBytes = reader.remaining;
  walkRecords(reader, header, where);
  return { pos, header, sizeBytes, recordsBytes };
}

/** Walks exactly `header.recordCount` records filling `r` to its end, allocating nothing. */
function walkRecords(r: ByteReader, header: BatchHeader, where: string): void {
  const start = r.pos;
  const count = header.recordCount;
  const firstTimestamp = header.firstTimestamp;
  const checkTimestamps = header.timestampType !== "log-append";
  let i = 0;
  try {
    for (; i < count; i++) {
      if (r.remaining === 0) {
        throw new FormatError("malformed", `the header counts ${count} records, the batch holds ${i}`);
      }
      const length = r.varint();
      if (length < MIN_RECORD_BYTES - 1) throw new FormatError("malformed", `record length ${length}`);
      if (length > r.remaining) {
        throw new FormatError(
          "truncated",
          `record length ${length} runs past the batch (${r.remaining} left)`,
        );
      }
      const end = r.pos + length;
      r.skip(1); // attributes: unused since magic 2
      const timestampDelta = r.varlong();
      if (checkTimestamps && !Number.isSafeInteger(firstTimestamp + timestampDelta)) {
        throw new FormatError("unsupported", "timestamp beyond 2^53");
      }
      const offsetDelta = r.varint();
      if (offsetDelta !== i) {
        throw new FormatError(
          "malformed",
          `offset delta ${offsetDelta}, expected ${i} (produced offsets are dense)`,
        );
      }
      skipBytes(r, end, "key", -1);
      skipBytes(r, end, "value", -1);
      const headerCount = r.varint();
      // Each header takes at least 2 bytes (two varint lengths).
      if (headerCount < 0 || headerCount > (end - r.pos) / 2) {
        throw new FormatError(
          "malformed",
          `header count ${headerCount} with ${end - r.pos} bytes left in the record`,
        );
      }
      for (let h = 0; h < headerCount; h++) {
        skipBytes(r, end, `header ${h} key`, 0);
        skipBytes(r, end, `header ${h} value`, -1);
      }
      if (r.pos !== end) {
        throw new FormatError(
          "malformed",
          `record length ${length}, but its fields take ${r.pos - end + length} bytes`,
        );
      }
    }
  } catch (error) {
    throw contextual(error, `${where}, record ${i}`, start);
  }
  if (r.remaining !== 0) {
    throw new FormatError(
      "malformed",
      `${where}: ${r.remaining} bytes after record ${count - 1}, the last the header counts (recordCount ${count})`,
    );
  }
}

/** A varint length then that many bytes, inside the record; `minLength` -1 allows null. */
function skipBytes(r: ByteReader, end: number, what: string, minLength: -1 | 0): void {
  const length = r.varint();
  if (length === -1 && minLength === -1) return;
  if (length < 0) throw new FormatError("malformed", `${what} length ${length}`);
  if (length > end - r.pos) {
    throw new FormatError("malformed", `${what} length ${length} runs past the end of the record`);
  }
  r.pos += length;
}

/**
 * Prefixes a FormatError from deeper code with the batch and record it is about. Given the start
 * of the records section, a position the error carries is rewritten relative to it (for lz4 the
 * decompressed bytes have no position in the body).
 */
function contextual(error: unknown, where: string, recordsStart?: number): unknown {
  if (!(error instanceof FormatError)) return error;
  let detail = error.message;
  if (recordsStart !== undefined && error.position !== undefined) {
    detail = `${detail.replace(/ \(at byte \d+\)$/, "")} (at byte ${error.position - recordsStart} of the records)`;
  }
  return new FormatError(error.reason, `${where}: ${detail}`);
}
