/**
 * kafkajs's own RecordBatch v2 encoder/decoder, murmur2 and CRC-32C, loaded from its shipped
 * sources and typed minimally: the independent peer our format is checked against (fixtures,
 * interop tests). Its LZ4 codec slot is empty upstream; `KAFKAJS_LZ4` fills it with lz4js's
 * whole-frame functions, which share no code path with ours except lz4js's block primitives.
 */

import { createRequire } from "node:module";
import * as lz4js from "lz4js";
import type { BatchInput, RecordHeader } from "../../../client/src/format/index.js";

const require = createRequire(import.meta.url);

interface KafkajsEncoder {
  readonly buffer: Buffer;
}
interface KafkajsDecoder {
  readVarInt(): number;
  readVarLong(): { toString(): string };
}
type KafkajsHeaderValue = Buffer | null;
type KafkajsHeaders = Record<string, KafkajsHeaderValue | KafkajsHeaderValue[]>;

export interface KafkajsRecord {
  timestamp: string;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer | null | (Buffer | null)[]>;
  isControlRecord: boolean;
}
export interface KafkajsBatch {
  firstOffset: string;
  firstTimestamp: string;
  maxTimestamp: string;
  partitionLeaderEpoch: number;
  inTransaction: boolean;
  isControlBatch: boolean;
  lastOffsetDelta: number;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  records: KafkajsRecord[];
}

interface Codec {
  compress(encoder: KafkajsEncoder): Promise<Buffer>;
  decompress(buffer: Buffer): Promise<Buffer>;
}

const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0/index.js") as {
  RecordBatch(options: {
    compression: number;
    firstOffset: bigint;
    firstTimestamp: number;
    maxTimestamp: number;
    partitionLeaderEpoch: number;
    lastOffsetDelta: number;
    transactional: boolean;
    producerId: bigint;
    producerEpoch: number;
    firstSequence: number;
    records: KafkajsEncoder[];
  }): Promise<KafkajsEncoder>;
};
const Record = require("kafkajs/src/protocol/recordBatch/record/v0/index.js") as (record: {
  offsetDelta: number;
  timestampDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: KafkajsHeaders;
}) => KafkajsEncoder;
const decodeBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder.js") as (
  decoder: KafkajsDecoder,
) => Promise<KafkajsBatch>;
const Decoder = require("kafkajs/src/protocol/decoder.js") as new (buffer: Buffer) => KafkajsDecoder;
const compression = require("kafkajs/src/protocol/message/compression/index.js") as {
  Types: { None: number; LZ4: number };
  Codecs: Record<number, () => Codec>;
};
export const KafkajsEncoder = require("kafkajs/src/protocol/encoder.js") as new () => KafkajsEncoder & {
  writeVarInt(n: number): unknown;
  writeVarLong(n: number): unknown;
};
export { Decoder as KafkajsDecoder };
export const kafkajsCrc32c = require("kafkajs/src/protocol/recordBatch/crc32C/index.js") as (
  buffer: Buffer,
) => number;
export const kafkajsMurmur2 = require("kafkajs/src/producer/partitioners/default/murmur2.js") as (
  key: Buffer | string,
) => number;
const { Partitioners } = require("kafkajs") as {
  Partitioners: {
    DefaultPartitioner: () => (args: {
      topic: string;
      partitionMetadata: { partitionId: number; leader: number }[];
      message: { key: Buffer };
    }) => number;
  };
};
export const kafkajsDefaultPartitioner = Partitioners.DefaultPartitioner;

// kafkajs ships no LZ4 codec; this is the shape third-party codecs (kafkajs-lz4) plug in with.
compression.Codecs[compression.Types.LZ4] = () => ({
  compress: async (encoder) => Buffer.from(lz4js.compress(encoder.buffer)),
  decompress: async (buffer) => Buffer.from(lz4js.decompress(buffer)),
});

const buf = (data: Uint8Array | null): Buffer | null =>
  data === null ? null : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/**
 * kafkajs's header object: duplicate keys become arrays. It cannot carry interleaved keys
 * (a, b, a), reorders integer-like keys first (JS property order), and its size computation
 * throws on null header values.
 */
export function kafkajsHeaders(headers: RecordHeader[]): KafkajsHeaders {
  const out: KafkajsHeaders = {};
  for (const { key, value } of headers) {
    const v = buf(value);
    const existing = Object.hasOwn(out, key) ? out[key] : undefined;
    // defineProperty: a plain assignment to "__proto__" would replace the prototype instead.
    const next = existing === undefined ? v : Array.isArray(existing) ? [...existing, v] : [existing, v];
    Object.defineProperty(out, key, { value: next, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** True when kafkajs's encoder writes exactly these headers, in this order. */
export function kafkajsCanEncodeHeaders(headers: RecordHeader[]): boolean {
  if (headers.some((h) => h.value === null)) return false;
  const object = kafkajsHeaders(headers);
  const flattened = Object.keys(object).flatMap((key) => {
    const v = object[key]!;
    return (Array.isArray(v) ? v : [v]).map((value) => ({ key, value }));
  });
  return (
    flattened.length === headers.length &&
    flattened.every((f, i) => f.key === headers[i]!.key && f.value?.equals(headers[i]!.value!) === true)
  );
}

/** Encodes a batch the way kafkajs's Produce v3 request does, with our input's field values. */
export async function kafkajsEncodeBatch(input: BatchInput): Promise<Uint8Array> {
  const records = input.records;
  const first = records[0]!.timestamp;
  const deltas = input.offsetDeltas ?? records.map((_, i) => i);
  const encoded = records.map((r, i) => {
    if (!kafkajsCanEncodeHeaders(r.headers)) throw new Error("headers not expressible in kafkajs");
    return Record({
      offsetDelta: deltas[i]!,
      timestampDelta: r.timestamp - first,
      key: buf(r.key),
      value: buf(r.value),
      headers: kafkajsHeaders(r.headers),
    });
  });
  const batch = await RecordBatch({
    compression: input.compression === "lz4" ? compression.Types.LZ4 : compression.Types.None,
    firstOffset: BigInt(input.baseOffset ?? 0),
    firstTimestamp: first,
    maxTimestamp: Math.max(...records.map((r) => r.timestamp)),
    partitionLeaderEpoch: input.partitionLeaderEpoch ?? -1,
    lastOffsetDelta: input.lastOffsetDelta ?? deltas[deltas.length - 1]!,
    transactional: false,
    producerId: BigInt(input.producerId ?? -1),
    producerEpoch: input.producerEpoch ?? -1,
    firstSequence: input.baseSequence ?? -1,
    records: encoded,
  });
  const out = batch.buffer;
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** Decodes the single batch in `bytes` with kafkajs's decoder. */
export function kafkajsDecodeBatch(bytes: Uint8Array): Promise<KafkajsBatch> {
  return decodeBatch(new Decoder(buf(bytes)!));
}
