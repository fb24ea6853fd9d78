/**
 * Structural validation of an LZ4 frame, done in TS before any decompressor sees the bytes, so
 * that both backends get the same limits: a frame that would expand beyond the caller's budget
 * (a decompression bomb) or that a pure-JS block decoder would misread (offset 0, offset before
 * the output start) is rejected with a FormatError first.
 *
 * LZ4 frame format (lz4 doc/lz4_Frame_format.md), as Kafka codec 3 stores it:
 *
 *   Frame      => magic:uint32le(0x184D2204) Descriptor Block* endMark:uint32le(0) [contentChecksum:uint32le]
 *   Descriptor => FLG:uint8 BD:uint8 [contentSize:uint64le] [dictId:uint32le] HC:uint8
 *     FLG      => version:2(=0b01) blockIndependence:1 blockChecksum:1 contentSize:1 contentChecksum:1
 *                 reserved:1(=0) dictId:1
 *     BD       => reserved:1(=0) blockMaxSize:3(4=64KiB 5=256KiB 6=1MiB 7=4MiB) reserved:4(=0)
 *     HC       => (xxh32(FLG .. last descriptor byte, seed 0) >> 8) & 0xFF
 *   Block      => size:uint32le(high bit set = stored uncompressed) data:byte[size & 0x7FFFFFFF]
 *                 [checksum:uint32le = xxh32(data)]
 *   compressed block data (LZ4 block format) => Sequence+
 *     Sequence => token:uint8(literalLength:4 matchLength:4) literalLength+:uint8* literals:byte[]
 *                 offset:uint16le matchLength+:uint8*      (the last sequence ends after its literals)
 */

import { FormatError } from "./errors.js";

export const LZ4_FRAME_MAGIC = 0x184d2204;

const BLOCK_MAX_BYTES: Record<number, number> = { 4: 0x10000, 5: 0x40000, 6: 0x100000, 7: 0x400000 };

export interface Lz4Block {
  /** First byte of the block's data (after its size field). */
  start: number;
  end: number;
  compressed: boolean;
  /** Position of the block checksum, or -1. */
  checksumPos: number;
}

export interface Lz4Frame {
  blockIndependent: boolean;
  blockMaxBytes: number;
  /** Declared content size, or null when the frame does not carry one. */
  contentSize: number | null;
  /** Position of the header checksum byte; the descriptor is [4, hcPos). */
  hcPos: number;
  blocks: Lz4Block[];
  /** Position of the content checksum, or -1. */
  contentChecksumPos: number;
}

function u32le(data: Uint8Array, pos: number): number {
  return (data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16) | (data[pos + 3]! << 24)) >>> 0;
}

/** Walks descriptor and block headers (O(blocks)); requires exactly one frame and no trailing bytes. */
export function parseLz4Frame(data: Uint8Array): Lz4Frame {
  const len = data.length;
  if (len < 7) throw new FormatError("truncated", "LZ4 frame shorter than its header", 0);
  if (u32le(data, 0) !== LZ4_FRAME_MAGIC) throw new FormatError("magic", "not an LZ4 frame (bad magic)", 0);
  const flg = data[4]!;
  const bd = data[5]!;
  if (flg >>> 6 !== 1) throw new FormatError("unsupported", `LZ4 frame version ${flg >>> 6}`, 4);
  if (flg & 0x02) throw new FormatError("malformed", "LZ4 FLG reserved bit set", 4);
  if (flg & 0x01) throw new FormatError("unsupported", "LZ4 dictionary frames are not supported", 4);
  if (bd & 0x8f) throw new FormatError("malformed", "LZ4 BD reserved bits set", 5);
  const blockMaxBytes = BLOCK_MAX_BYTES[(bd >>> 4) & 0x07];
  if (blockMaxBytes === undefined) throw new FormatError("malformed", "LZ4 block max size code invalid", 5);
  const blockChecksum = (flg & 0x10) !== 0;
  let pos = 6;
  let contentSize: number | null = null;
  if (flg & 0x08) {
    if (len < pos + 9) throw new FormatError("truncated", "LZ4 frame header truncated", pos);
    const lo = u32le(data, pos);
    const hi = u32le(data, pos + 4);
    // Sizes beyond 2^53 only occur in hostile frames; keep them as "too big for anything".
    contentSize = hi >= 0x200000 ? Number.POSITIVE_INFINITY : hi * 4294967296 + lo;
    pos += 8;
  }
  const hcPos = pos;
  pos += 1;
  const blocks: Lz4Block[] = [];
  for (;;) {
    if (len - pos < 4) throw new FormatError("truncated", "LZ4 frame ends inside a block header", pos);
    const word = u32le(data, pos);
    pos += 4;
    if (word === 0) break;
    const size = word & 0x7fffffff;
    const compressed = word === size;
    if (size > blockMaxBytes)
      throw new FormatError("malformed", `LZ4 block of ${size} bytes exceeds max`, pos - 4);
    const checksumBytes = blockChecksum ? 4 : 0;
    if (len - pos < size + checksumBytes) throw new FormatError("truncated", "LZ4 block truncated", pos);
    blocks.push({ start: pos, end: pos + size, compressed, checksumPos: blockChecksum ? pos + size : -1 });
    pos += size + checksumBytes;
  }
  let contentChecksumPos = -1;
  if (flg & 0x04) {
    if (len - pos < 4) throw new FormatError("truncated", "LZ4 content checksum truncated", pos);
    contentChecksumPos = pos;
    pos += 4;
  }
  if (pos !== len) throw new FormatError("malformed", `${len - pos} bytes after the LZ4 frame`, pos);
  return {
    blockIndependent: (flg & 0x20) !== 0,
    blockMaxBytes,
    contentSize,
    hcPos,
    blocks,
    contentChecksumPos,
  };
}

/**
 * Exact decompressed size of the frame, found by walking every sequence without producing output
 * (cost: one read per sequence header, literals are skipped). Fills `blockSizes` with each block's
 * decompressed size. Stops with FormatError("too-large") as soon as the running total passes
 * `limitBytes`, so a bomb costs at most a scan of its compressed bytes.
 */
export function lz4ContentBytes(
  data: Uint8Array,
  frame: Lz4Frame,
  limitBytes: number,
  blockSizes?: number[],
): number {
  let total = 0;
  for (const block of frame.blocks) {
    let out: number;
    if (!block.compressed) out = block.end - block.start;
    else
      out = scanBlock(data, block.start, block.end, frame.blockMaxBytes, frame.blockIndependent ? 0 : total);
    total += out;
    if (total > limitBytes) {
      throw new FormatError(
        "too-large",
        `LZ4 frame decompresses beyond the ${limitBytes}-byte limit`,
        block.start,
      );
    }
    blockSizes?.push(out);
  }
  return total;
}

/** Decompressed size of one compressed block; `history` = output bytes a match may reach before it. */
function scanBlock(
  data: Uint8Array,
  start: number,
  end: number,
  blockMaxBytes: number,
  history: number,
): number {
  let ip = start;
  let out = 0;
  if (ip >= end) throw new FormatError("malformed", "empty compressed LZ4 block", ip);
  for (;;) {
    const token = data[ip++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        if (ip >= end) throw new FormatError("malformed", "LZ4 literal length runs past the block", ip);
        b = data[ip++]!;
        literals += b;
      } while (b === 255);
    }
    if (literals > end - ip) throw new FormatError("malformed", "LZ4 literals run past the block", ip);
    ip += literals;
    out += literals;
    if (ip === end) break;
    if (end - ip < 2) throw new FormatError("malformed", "LZ4 match offset truncated", ip);
    const offset = data[ip]! | (data[ip + 1]! << 8);
    if (offset === 0 || offset > out + history) {
      throw new FormatError("malformed", `LZ4 match offset ${offset} before the output start`, ip);
    }
    ip += 2;
    let match = token & 0x0f;
    if (match === 15) {
      let b: number;
      do {
        if (ip >= end) throw new FormatError("malformed", "LZ4 match length runs past the block", ip);
        b = data[ip++]!;
        match += b;
      } while (b === 255);
    }
    out += match + 4;
    if (out > blockMaxBytes)
      throw new FormatError("malformed", "LZ4 block decompresses beyond its max size", ip);
    if (ip >= end) throw new FormatError("malformed", "LZ4 block ends with a match", ip);
  }
  if (out > blockMaxBytes)
    throw new FormatError("malformed", "LZ4 block decompresses beyond its max size", ip);
  return out;
}
