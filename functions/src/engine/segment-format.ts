/**
 * Segment objects: one immutable S3 object per flush, holding record batches for many partitions.
 *
 *   Segment      => Header Chunk* Footer Trailer
 *   Header       => magic:"FLOE" version:uint16 flags:uint16                       (8 bytes)
 *   Chunk        => RecordBatch+          (Kafka RecordBatch v2, all of one partition, contiguous)
 *   Footer       => createdAtMs:float64 writerId:String16 chunkCount:uint32 FooterChunk*
 *   FooterChunk  => topicId:String16 partition:uint32 pos:uint32 len:uint32
 *                   recordCount:uint32 batchCount:uint32 crc32c:uint32
 *   String16     => length:uint16 utf8-bytes
 *   Trailer      => footerLength:uint32 footerCrc32c:uint32 magic:"FLOE"              (12 bytes)
 *
 * All integers big-endian, as in Kafka. The manifest stores each chunk's (pos, len), so a reader
 * fetches exactly one partition's bytes with one ranged GET and never needs the footer; the
 * footer makes an object self-describing for repair and garbage collection (read the last 12
 * bytes, then the footer).
 */
import { crc32c } from "../../../client/src/format/crc32c.js";

export const SEGMENT_MAGIC = "FLOE";
export const SEGMENT_VERSION = 1;
export const SEGMENT_HEADER_BYTES = 8;
export const SEGMENT_TRAILER_BYTES = 12;

export interface ChunkInput {
  topicId: string;
  partition: number;
  /** Encoded record batches of this partition, in order; each piece is one or more whole batches. */
  pieces: Uint8Array[];
  recordCount: number;
  batchCount: number;
}

export interface PlacedChunk {
  topicId: string;
  partition: number;
  pos: number;
  len: number;
  recordCount: number;
  batchCount: number;
  crc: number;
  /** Where each input piece landed: pos within the object. */
  piecePositions: number[];
}

export interface EncodedSegment {
  bytes: Uint8Array;
  chunks: PlacedChunk[];
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

export class SegmentFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SegmentFormatError";
  }
}

export function encodeSegment(chunks: ChunkInput[], writerId: string, createdAtMs: number): EncodedSegment {
  let bodyBytes = 0;
  for (const c of chunks) for (const p of c.pieces) bodyBytes += p.byteLength;
  const footerStrings = chunks.map((c) => textEncoder.encode(c.topicId));
  const writer = textEncoder.encode(writerId);
  let footerBytes = 8 + 2 + writer.byteLength + 4;
  for (const s of footerStrings) footerBytes += 2 + s.byteLength + 4 * 6;
  const total = SEGMENT_HEADER_BYTES + bodyBytes + footerBytes + SEGMENT_TRAILER_BYTES;
  if (total > 0xffffffff) throw new SegmentFormatError("segment larger than 4 GiB");

  const bytes = new Uint8Array(total);
  const view = new DataView(bytes.buffer);
  bytes.set(textEncoder.encode(SEGMENT_MAGIC), 0);
  view.setUint16(4, SEGMENT_VERSION);
  view.setUint16(6, 0);

  let at = SEGMENT_HEADER_BYTES;
  const placed: PlacedChunk[] = [];
  for (const c of chunks) {
    const pos = at;
    const piecePositions: number[] = [];
    for (const p of c.pieces) {
      piecePositions.push(at);
      bytes.set(p, at);
      at += p.byteLength;
    }
    placed.push({
      topicId: c.topicId,
      partition: c.partition,
      pos,
      len: at - pos,
      recordCount: c.recordCount,
      batchCount: c.batchCount,
      crc: crc32c(bytes, pos, at),
      piecePositions,
    });
  }

  const footerStart = at;
  view.setFloat64(at, createdAtMs);
  at += 8;
  at = putString16(bytes, view, at, writer);
  view.setUint32(at, placed.length);
  at += 4;
  placed.forEach((c, i) => {
    at = putString16(bytes, view, at, footerStrings[i]!);
    for (const n of [c.partition, c.pos, c.len, c.recordCount, c.batchCount, c.crc]) {
      view.setUint32(at, n);
      at += 4;
    }
  });
  view.setUint32(at, at - footerStart);
  view.setUint32(at + 4, crc32c(bytes, footerStart, at));
  bytes.set(textEncoder.encode(SEGMENT_MAGIC), at + 8);
  return { bytes, chunks: placed };
}

function putString16(bytes: Uint8Array, view: DataView, at: number, s: Uint8Array): number {
  if (s.byteLength > 0xffff) throw new SegmentFormatError("string longer than 65535 bytes");
  view.setUint16(at, s.byteLength);
  bytes.set(s, at + 2);
  return at + 2 + s.byteLength;
}

export interface SegmentFooter {
  createdAtMs: number;
  writerId: string;
  chunks: Omit<PlacedChunk, "piecePositions">[];
}

/** Parses the trailer (last 12 bytes of an object): how many bytes of footer precede it. */
export function parseTrailer(trailer: Uint8Array): { footerLength: number; footerCrc: number } {
  if (trailer.byteLength !== SEGMENT_TRAILER_BYTES) throw new SegmentFormatError("trailer must be 12 bytes");
  const view = new DataView(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  if (textDecoder.decode(trailer.subarray(8)) !== SEGMENT_MAGIC)
    throw new SegmentFormatError("bad trailer magic");
  return { footerLength: view.getUint32(0), footerCrc: view.getUint32(4) };
}

/** Decodes a footer (the bytes between the last chunk and the trailer) and checks its CRC. */
export function decodeFooter(footer: Uint8Array, expectedCrc: number): SegmentFooter {
  if (crc32c(footer) !== expectedCrc) throw new SegmentFormatError("footer CRC mismatch");
  const view = new DataView(footer.buffer, footer.byteOffset, footer.byteLength);
  let at = 0;
  const need = (n: number) => {
    if (at + n > footer.byteLength) throw new SegmentFormatError("truncated footer");
  };
  const string16 = () => {
    need(2);
    const n = view.getUint16(at);
    need(2 + n);
    const s = textDecoder.decode(footer.subarray(at + 2, at + 2 + n));
    at += 2 + n;
    return s;
  };
  need(8);
  const createdAtMs = view.getFloat64(at);
  at += 8;
  const writerId = string16();
  need(4);
  const count = view.getUint32(at);
  at += 4;
  const chunks: SegmentFooter["chunks"] = [];
  for (let i = 0; i < count; i++) {
    const topicId = string16();
    need(24);
    const [partition, pos, len, recordCount, batchCount, crc] = [0, 1, 2, 3, 4, 5].map((k) =>
      view.getUint32(at + 4 * k),
    );
    at += 24;
    chunks.push({
      topicId,
      partition: partition!,
      pos: pos!,
      len: len!,
      recordCount: recordCount!,
      batchCount: batchCount!,
      crc: crc!,
    });
  }
  return { createdAtMs, writerId, chunks };
}

/** Decodes a whole object's footer (used by repair/GC and tests). */
export function decodeSegmentFooter(object: Uint8Array): SegmentFooter {
  if (object.byteLength < SEGMENT_HEADER_BYTES + SEGMENT_TRAILER_BYTES)
    throw new SegmentFormatError("object too small");
  if (textDecoder.decode(object.subarray(0, 4)) !== SEGMENT_MAGIC)
    throw new SegmentFormatError("bad header magic");
  const { footerLength, footerCrc } = parseTrailer(
    object.subarray(object.byteLength - SEGMENT_TRAILER_BYTES),
  );
  const end = object.byteLength - SEGMENT_TRAILER_BYTES;
  if (footerLength > end - SEGMENT_HEADER_BYTES) throw new SegmentFormatError("footer length out of bounds");
  return decodeFooter(object.subarray(end - footerLength, end), footerCrc);
}

/**
 * Segment keys: unique by construction (s3rver ignores If-None-Match, and S3 conditional puts are
 * not needed when no two writers can pick the same key) and spread over prefixes: the first four
 * hex characters are random, so S3's per-prefix request-rate limits never bind.
 */
export function newSegmentKey(nowMs: number, randomHex: string): string {
  const day = new Date(nowMs).toISOString().slice(0, 10);
  return `${randomHex.slice(0, 4)}/segments/${day}/${nowMs}-${randomHex}.floe`;
}
