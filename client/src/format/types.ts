/**
 * Types of the Kafka RecordBatch v2 (magic 2) format as Floe uses it. Offsets and timestamps are
 * JS numbers (exact up to 2^53, far beyond any real log); producer ids likewise.
 */

/** Kafka codec ids carried in the low 3 bits of the batch attributes. Floe writes none (0) or lz4 (3). */
export type Compression = "none" | "lz4";

/** Every codec a stored batch may carry: Floe reads all of Kafka's, and writes none or lz4. */
export type BatchCodec = "none" | "gzip" | "snappy" | "lz4" | "zstd";

export interface RecordHeader {
  /** Kafka header keys are UTF-8 strings. */
  key: string;
  value: Uint8Array | null;
}

/** A record as a producer hands it to the encoder. */
export interface RecordInput {
  key: Uint8Array | null;
  value: Uint8Array | null;
  headers: RecordHeader[];
  /** Milliseconds since the epoch (CreateTime). */
  timestamp: number;
}

/** A record as the decoder returns it: with its absolute offset. */
export interface DecodedRecord extends RecordInput {
  offset: number;
}

export interface BatchInput {
  records: RecordInput[];
  compression?: Compression;
  /** Written into bytes 0-7; Floe stores the offset relative to the index entry (0 for the first batch). */
  baseOffset?: number;
  /** -1 when the producer is not idempotent. */
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /**
   * Offset deltas of the records (default 0..n-1, i.e. dense). Compaction writes sparse deltas and
   * sets `lastOffsetDelta` to keep the batch's original offset span, as Kafka does.
   */
  offsetDeltas?: number[];
  lastOffsetDelta?: number;
  /** Default -1, as the Java producer writes (the leader epoch is a broker concept). */
  partitionLeaderEpoch?: number;
}

/** The fixed 61-byte header of a v2 batch. */
export interface BatchHeader {
  baseOffset: number;
  /** Bytes after the batchLength field: the whole batch is `batchLength + 12` bytes. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: BatchCodec;
  lastOffsetDelta: number;
  firstTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  /** Attribute bit 4. Floe never writes transactional batches but reads them. */
  isTransactional?: boolean;
  /** Attribute bit 5: the batch holds control records (transaction markers). */
  isControl?: boolean;
  /** Attribute bit 3: with "log-append" every record's timestamp is `maxTimestamp`. */
  timestampType?: "create" | "log-append";
}

export interface DecodedBatch {
  header: BatchHeader;
  records: DecodedRecord[];
  /** Total bytes of this batch in the buffer. */
  sizeBytes: number;
}
