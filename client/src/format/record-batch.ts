/**
 * Kafka RecordBatch v2 (magic 2), byte-compatible with Apache Kafka and kafkajs:
 *
 *   RecordBatch => baseOffset:int64 batchLength:int32 partitionLeaderEpoch:int32 magic:int8(=2)
 *                  crc:uint32 attributes:int16 lastOffsetDelta:int32 firstTimestamp:int64
 *                  maxTimestamp:int64 producerId:int64 producerEpoch:int16 baseSequence:int32
 *                  recordCount:int32 records:Records
 *     batchLength => bytes after this field (the batch is batchLength + 12 bytes)
 *     crc         => CRC-32C of attributes .. end of batch (not baseOffset: see patchBaseOffset)
 *     attributes  => unused:10 isControl:1 isTransactional:1 timestampType:1 compression:3
 *                    (compression 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd: all read (codecs.ts),
 *                    only none and lz4 written)
 *     records     => Record[recordCount] (records.ts), or those bytes compressed by the codec
 *
 * firstTimestamp is the first record's timestamp (deltas may be negative), maxTimestamp the
 * largest, as the Java producer writes them.
 */

import { gunzip, unsnappy, unzstd } from "./codecs.js";
import { crc32c } from "./crc32c.js";
import { FormatError } from "./errors.js";
import { lz4Compress, lz4Decompress } from "./lz4.js";
import { MIN_RECORD_BYTES, planRecords, readRecords, writeRecords } from "./records.js";
import type { BatchCodec, BatchHeader, BatchInput, DecodedBatch, DecodedRecord } from "./types.js";
import { ByteReader, ByteWriter, readInt16, readInt32, readInt64 } from "./varint.js";

export const BATCH_HEADER_BYTES = 61;
/** baseOffset and batchLength precede what batchLength counts. */
export const BATCH_LENGTH_OVERHEAD_BYTES = 12;
export const MAGIC_V2 = 2;
/** Default cap on decompressed bytes per decodeRecordBatches call. */
export const DEFAULT_MAX_UNCOMPRESSED_BYTES = 64 * 1024 * 1024;

// Field positions within a batch.
const BATCH_LENGTH_AT = 8;
const PARTITION_LEADER_EPOCH_AT = 12;
const MAGIC_AT = 16;
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;
const LAST_OFFSET_DELTA_AT = 23;
const FIRST_TIMESTAMP_AT = 27;
const MAX_TIMESTAMP_AT = 35;
const PRODUCER_ID_AT = 43;
const PRODUCER_EPOCH_AT = 51;
const BASE_SEQUENCE_AT = 53;
const RECORD_COUNT_AT = 57;
const MIN_BATCH_LENGTH = BATCH_HEADER_BYTES - BATCH_LENGTH_OVERHEAD_BYTES;

const CODEC_MASK = 0x07;
const CODEC_LZ4 = 3;
const TIMESTAMP_TYPE_BIT = 0x08;
const TRANSACTIONAL_BIT = 0x10;
const CONTROL_BIT = 0x20;
const CODEC_NAMES: readonly (BatchCodec | undefined)[] = ["none", "gzip", "snappy", "lz4", "zstd"];

function invalid(message: string): FormatError {
  return new FormatError("invalid", message);
}

function checkInt(n: number, min: number, max: number, what: string): void {
  if (!(Number.isInteger(n) && n >= min && n <= max)) throw invalid(`${what} out of range: ${n}`);
}

/** Encodes one batch. Throws FormatError("invalid") for inputs Kafka could not represent. */
export function encodeRecordBatch(input: BatchInput): Uint8Array {
  const records = input.records;
  const count = records.length;
  if (count === 0) throw invalid("a batch needs at least one record");
  const compression = input.compression ?? "none";
  if (compression !== "none" && compression !== "lz4")
    throw invalid(`unknown compression ${String(compression)}`);
  const baseOffset = input.baseOffset ?? 0;
  const producerId = input.producerId ?? -1;
  const producerEpoch = input.producerEpoch ?? -1;
  const baseSequence = input.baseSequence ?? -1;
  const partitionLeaderEpoch = input.partitionLeaderEpoch ?? -1;
  checkInt(baseOffset, 0, Number.MAX_SAFE_INTEGER, "baseOffset");
  checkInt(producerId, -1, Number.MAX_SAFE_INTEGER, "producerId");
  checkInt(producerEpoch, -1, 0x7fff, "producerEpoch");
  checkInt(baseSequence, -1, 0x7fffffff, "baseSequence");
  checkInt(partitionLeaderEpoch, -1, 0x7fffffff, "partitionLeaderEpoch");

  const firstTimestamp = records[0]!.timestamp;
  let maxTimestamp = firstTimestamp;
  for (let i = 0; i < count; i++) {
    const t = records[i]!.timestamp;
    if (!Number.isSafeInteger(t) || !Number.isSafeInteger(t - firstTimestamp)) {
      throw invalid(`record ${i}: timestamp ${t} is not a safe integer or too far from the first`);
    }
    if (t > maxTimestamp) maxTimestamp = t;
  }

  const offsetDeltas = input.offsetDeltas ?? denseDeltas(count);
  if (offsetDeltas.length !== count)
    throw invalid(`${offsetDeltas.length} offset deltas for ${count} records`);
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const d = offsetDeltas[i]!;
    checkInt(d, previous + 1, 0x7fffffff, `offset delta ${i} (must increase)`);
    previous = d;
  }
  const lastOffsetDelta = input.lastOffsetDelta ?? previous;
  checkInt(lastOffsetDelta, previous, 0x7fffffff, "lastOffsetDelta");
  checkInt(baseOffset + lastOffsetDelta, 0, Number.MAX_SAFE_INTEGER, "last offset");

  const plan = planRecords(records, firstTimestamp, offsetDeltas);
  let w: ByteWriter;
  if (compression === "none") {
    w = new ByteWriter(BATCH_HEADER_BYTES + plan.totalBytes);
    w.pos = BATCH_HEADER_BYTES; // the header goes in last, once sizes are known; then the CRC
    writeRecords(w, records, firstTimestamp, offsetDeltas, plan);
  } else {
    const section = new ByteWriter(plan.totalBytes);
    writeRecords(section, records, firstTimestamp, offsetDeltas, plan);
    assertSize(section.length, plan.totalBytes);
    const compressed = lz4Compress(section.finish());
    w = new ByteWriter(BATCH_HEADER_BYTES + compressed.length);
    w.pos = BATCH_HEADER_BYTES;
    w.bytes(compressed);
  }
  const size = w.length;
  if (compression === "none") assertSize(size, BATCH_HEADER_BYTES + plan.totalBytes);
  if (size - BATCH_LENGTH_OVERHEAD_BYTES > 0x7fffffff) throw invalid("batch exceeds 2 GiB");
  w.pos = 0;
  w.int64(baseOffset)
    .int32(size - BATCH_LENGTH_OVERHEAD_BYTES)
    .int32(partitionLeaderEpoch)
    .int8(MAGIC_V2)
    .uint32(0)
    .int16(compression === "lz4" ? CODEC_LZ4 : 0)
    .int32(lastOffsetDelta)
    .int64(firstTimestamp)
    .int64(maxTimestamp)
    .int64(producerId)
    .int16(producerEpoch)
    .int32(baseSequence)
    .int32(count);
  w.pos = size;
  const out = w.finish();
  w.setUint32At(CRC_AT, crc32c(out, ATTRIBUTES_AT, size));
  return out;
}

function denseDeltas(count: number): Int32Array {
  const deltas = new Int32Array(count);
  for (let i = 0; i < count; i++) deltas[i] = i;
  return deltas;
}

function assertSize(actual: number, planned: number): void {
  // An encoder bug, not bad input: planRecords and writeRecords disagree.
  if (actual !== planned) throw new Error(`record batch encoder wrote ${actual} bytes, planned ${planned}`);
}

function compressionOf(attributes: number, pos: number): BatchCodec {
  const name = CODEC_NAMES[attributes & CODEC_MASK];
  if (name === undefined)
    throw new FormatError("malformed", `unknown compression codec ${attributes & CODEC_MASK}`, pos);
  return name;
}

/** The records section of a compressed batch, decompressed under the byte budget. */
export function decompressRecords(codec: BatchCodec, data: Uint8Array, maxOutputBytes: number): Uint8Array {
  switch (codec) {
    case "gzip":
      return gunzip(data, maxOutputBytes);
    case "snappy":
      return unsnappy(data, maxOutputBytes);
    case "zstd":
      return unzstd(data, maxOutputBytes);
    default:
      return lz4Decompress(data, maxOutputBytes);
  }
}

/**
 * Reads and validates the 61-byte header of the batch at `pos`: magic 2, a batchLength that fits
 * in `buf`, a known codec, counts consistent with the length. With `verifyCrc` the CRC is checked
 * before any CRC-covered field is interpreted, so corruption reads as "crc", not as a confusing
 * field error.
 */
export function readBatchHeader(
  buf: Uint8Array,
  pos: number,
  options: { verifyCrc?: boolean } = {},
): BatchHeader {
  if (!(Number.isInteger(pos) && pos >= 0 && pos <= buf.length)) {
    throw new RangeError(`readBatchHeader: position ${pos} outside ${buf.length} bytes`);
  }
  const available = buf.length - pos;
  if (available <= MAGIC_AT) throw new FormatError("truncated", "batch shorter than its header", pos);
  const magic = (buf[pos + MAGIC_AT]! << 24) >> 24;
  if (magic !== MAGIC_V2)
    throw new FormatError("magic", `record batch magic ${magic}, expected 2`, pos + MAGIC_AT);
  if (available < BATCH_HEADER_BYTES)
    throw new FormatError("truncated", "batch shorter than its header", pos);
  const batchLength = readInt32(buf, pos + BATCH_LENGTH_AT);
  if (batchLength < MIN_BATCH_LENGTH) {
    throw new FormatError(
      "malformed",
      `batchLength ${batchLength} below the header size`,
      pos + BATCH_LENGTH_AT,
    );
  }
  if (batchLength > available - BATCH_LENGTH_OVERHEAD_BYTES) {
    throw new FormatError("truncated", `batch of ${batchLength + 12} bytes, ${available} available`, pos);
  }
  const crc = readInt32(buf, pos + CRC_AT) >>> 0;
  if (options.verifyCrc) checkCrc(buf, pos, pos + BATCH_LENGTH_OVERHEAD_BYTES + batchLength, crc);
  const attributes = readInt16(buf, pos + ATTRIBUTES_AT);
  const compression = compressionOf(attributes, pos + ATTRIBUTES_AT);
  const lastOffsetDelta = readInt32(buf, pos + LAST_OFFSET_DELTA_AT);
  const recordCount = readInt32(buf, pos + RECORD_COUNT_AT);
  if (recordCount < 0)
    throw new FormatError("malformed", `record count ${recordCount}`, pos + RECORD_COUNT_AT);
  // Offset deltas strictly increase, so n records span at least n - 1 (an empty batch may keep -1).
  if (lastOffsetDelta < recordCount - 1 || lastOffsetDelta < -1) {
    throw new FormatError("malformed", `lastOffsetDelta ${lastOffsetDelta} for ${recordCount} records`, pos);
  }
  if (compression === "none" && recordCount > (batchLength - MIN_BATCH_LENGTH) / MIN_RECORD_BYTES) {
    throw new FormatError("malformed", `${recordCount} records cannot fit in ${batchLength} bytes`, pos);
  }
  const baseOffset = readInt64(buf, pos);
  if (!Number.isSafeInteger(baseOffset + lastOffsetDelta)) {
    throw new FormatError("unsupported", "last offset beyond 2^53", pos);
  }
  return {
    baseOffset,
    batchLength,
    partitionLeaderEpoch: readInt32(buf, pos + PARTITION_LEADER_EPOCH_AT),
    magic,
    crc,
    attributes,
    compression,
    lastOffsetDelta,
    firstTimestamp: readInt64(buf, pos + FIRST_TIMESTAMP_AT),
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP_AT),
    producerId: readInt64(buf, pos + PRODUCER_ID_AT),
    producerEpoch: readInt16(buf, pos + PRODUCER_EPOCH_AT),
    baseSequence: readInt32(buf, pos + BASE_SEQUENCE_AT),
    recordCount,
    isTransactional: (attributes & TRANSACTIONAL_BIT) !== 0,
    isControl: (attributes & CONTROL_BIT) !== 0,
    timestampType: attributes & TIMESTAMP_TYPE_BIT ? "log-append" : "create",
  };
}

/** Bytes the batch takes in its buffer. */
export function batchSizeBytes(header: BatchHeader): number {
  return header.batchLength + BATCH_LENGTH_OVERHEAD_BYTES;
}

/** Offset of the batch's last record (or of its span's end after compaction). */
export function batchLastOffset(header: BatchHeader): number {
  return header.baseOffset + header.lastOffsetDelta;
}

/** Throws FormatError("crc") unless the stored CRC matches the batch at `pos`. */
export function verifyBatchCrc(buf: Uint8Array, pos: number, header: BatchHeader): void {
  checkCrc(buf, pos, pos + batchSizeBytes(header), header.crc);
}

function checkCrc(buf: Uint8Array, pos: number, end: number, stored: number): void {
  const actual = crc32c(buf, pos + ATTRIBUTES_AT, end);
  if (actual !== stored) {
    throw new FormatError(
      "crc",
      `CRC-32C ${actual.toString(16)} != stored ${stored.toString(16)}`,
      pos + CRC_AT,
    );
  }
}

export interface SplitBatch {
  pos: number;
  header: BatchHeader;
  sizeBytes: number;
}

/**
 * Walks concatenated batches, validating headers, lengths and (by default) CRCs without decoding
 * records: the cheap check a server runs on a binary produce body before storing it as is.
 */
export function splitBatches(buf: Uint8Array, options: { verifyCrc?: boolean } = {}): SplitBatch[] {
  const verifyCrc = options.verifyCrc ?? true;
  const out: SplitBatch[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const header = readBatchHeader(buf, pos, { verifyCrc });
    const sizeBytes = batchSizeBytes(header);
    out.push({ pos, header, sizeBytes });
    pos += sizeBytes;
  }
  return out;
}

export interface DecodeOptions {
  /** Default true. Only skip when the bytes were verified on the way in and never left memory. */
  verifyCrc?: boolean;
  /** Cap on bytes produced by decompression, summed over the call (default 64 MiB). */
  maxUncompressedBytes?: number;
}

/**
 * Decodes one or more concatenated batches. Records carry absolute offsets (baseOffset +
 * offsetDelta). Keys and values of uncompressed batches are views into `buf`: copy them if `buf`
 * is reused.
 */
export function decodeRecordBatches(buf: Uint8Array, options: DecodeOptions = {}): DecodedBatch[] {
  const verifyCrc = options.verifyCrc ?? true;
  let budget = options.maxUncompressedBytes ?? DEFAULT_MAX_UNCOMPRESSED_BYTES;
  const batches: DecodedBatch[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const header = readBatchHeader(buf, pos, { verifyCrc });
    const sizeBytes = batchSizeBytes(header);
    const records: DecodedRecord[] = [];
    const recordsStart = pos + BATCH_HEADER_BYTES;
    const end = pos + sizeBytes;
    if (header.compression === "none") {
      readRecords(new ByteReader(buf, recordsStart, end), header, records);
    } else if (header.recordCount === 0 && recordsStart === end) {
      // An empty batch (compaction keeps them for producer state) may carry no frame at all.
    } else {
      const raw = decompressRecords(header.compression, buf.subarray(recordsStart, end), budget);
      budget -= raw.length;
      readRecords(new ByteReader(raw), header, records);
    }
    batches.push({ header, records, sizeBytes });
    pos = end;
  }
  return batches;
}

/**
 * Writes `baseOffset` into bytes pos..pos+8 of the batch at `pos`. The CRC starts at the
 * attributes, so the patched batch stays valid: this is how Floe assigns offsets at commit time
 * without re-encoding stored bytes.
 */
export function patchBaseOffset(buf: Uint8Array, pos: number, baseOffset: number): void {
  if (!(Number.isInteger(pos) && pos >= 0 && pos + 8 <= buf.length)) {
    throw new RangeError(`patchBaseOffset: position ${pos} outside ${buf.length} bytes`);
  }
  checkInt(baseOffset, 0, Number.MAX_SAFE_INTEGER, "baseOffset");
  const hi = Math.floor(baseOffset / 4294967296);
  const lo = baseOffset - hi * 4294967296;
  buf[pos] = hi >>> 24;
  buf[pos + 1] = (hi >>> 16) & 0xff;
  buf[pos + 2] = (hi >>> 8) & 0xff;
  buf[pos + 3] = hi & 0xff;
  buf[pos + 4] = lo >>> 24;
  buf[pos + 5] = (lo >>> 16) & 0xff;
  buf[pos + 6] = (lo >>> 8) & 0xff;
  buf[pos + 7] = lo & 0xff;
}
