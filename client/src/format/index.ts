/** The record format: Kafka RecordBatch v2 with CRC-32C and LZ4 frames, plus Kafka's partitioner. */

export { crc32c } from "./crc32c.js";
export { FormatError, type FormatErrorReason } from "./errors.js";
export {
  type Lz4Backend,
  lz4Backend,
  lz4Compress,
  lz4Decompress,
  lz4NativeAvailable,
  setLz4Backend,
} from "./lz4.js";
export { murmur2, partitionForKey, toPositive } from "./partitioner.js";
export {
  BATCH_HEADER_BYTES,
  BATCH_LENGTH_OVERHEAD_BYTES,
  batchLastOffset,
  batchSizeBytes,
  DEFAULT_MAX_UNCOMPRESSED_BYTES,
  type DecodeOptions,
  decodeRecordBatches,
  encodeRecordBatch,
  MAGIC_V2,
  patchBaseOffset,
  readBatchHeader,
  type SplitBatch,
  splitBatches,
  verifyBatchCrc,
} from "./record-batch.js";
export type {
  BatchCodec,
  BatchHeader,
  BatchInput,
  Compression,
  DecodedBatch,
  DecodedRecord,
  RecordHeader,
  RecordInput,
} from "./types.js";
export {
  type ValidateBatchOptions,
  type ValidatedBatch,
  validateBatches,
  validateBatchRecords,
} from "./validate-batch.js";
export {
  ByteReader,
  ByteWriter,
  sizeOfVarint,
  sizeOfVarintBytes,
  sizeOfVarlong,
  utf8Length,
} from "./varint.js";
