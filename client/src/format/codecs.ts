/**
 * Decompression of the record sections of Kafka's other codecs, for validation and for reading
 * (Floe stores a batch as its producer sent it, codec kept; it writes lz4 itself). Pure JS, so
 * the Lambda bundle and browsers keep working:
 *
 *   1 gzip    RFC 1952 member(s)                                         fflate (streaming)
 *   2 snappy  Java's xerial framing or one raw snappy block:             snappyjs
 *               xerial => magic:"\x82SNAPPY\0" version:INT32 compat:INT32 { length:INT32 block }
 *               raw    => uncompressed_length:UNSIGNED_VARINT elements
 *   4 zstd    RFC 8878 frame(s)                                          fzstd (streaming)
 *
 * Every decoder is bounded by `maxOutputBytes` while it runs (streamed chunks are counted, snappy
 * blocks announce their size first), so a small "compression bomb" fails with `too-large`
 * instead of allocating without end.
 */
import { Gunzip } from "fflate";
import { Decompress as ZstdDecompress } from "fzstd";
import { uncompress as snappyUncompress } from "snappyjs";
import { FormatError } from "./errors.js";

const XERIAL_MAGIC = [0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00];
const XERIAL_HEADER_BYTES = 16;

function tooLarge(maxOutputBytes: number): FormatError {
  return new FormatError("too-large", `decompressed records exceed ${maxOutputBytes} bytes`);
}

function join(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Runs a push-style decoder, collecting its chunks under the byte bound. */
function streamed(
  data: Uint8Array,
  maxOutputBytes: number,
  make: (ondata: (chunk: Uint8Array) => void) => { push(chunk: Uint8Array, final: boolean): unknown },
  name: string,
): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const decoder = make((chunk) => {
    total += chunk.byteLength;
    if (total > maxOutputBytes) throw tooLarge(maxOutputBytes);
    chunks.push(chunk);
  });
  try {
    decoder.push(data, true);
  } catch (error) {
    if (error instanceof FormatError) throw error;
    throw new FormatError("malformed", `${name} data does not decompress: ${(error as Error).message}`);
  }
  return join(chunks, total);
}

export function gunzip(data: Uint8Array, maxOutputBytes: number): Uint8Array {
  return streamed(data, maxOutputBytes, (ondata) => new Gunzip((chunk) => ondata(chunk)), "gzip");
}

export function unzstd(data: Uint8Array, maxOutputBytes: number): Uint8Array {
  return streamed(data, maxOutputBytes, (ondata) => new ZstdDecompress((chunk) => ondata(chunk)), "zstd");
}

function snappyBlock(block: Uint8Array, maxOutputBytes: number): Uint8Array {
  try {
    return snappyUncompress(block, maxOutputBytes);
  } catch (error) {
    if (error instanceof Error && error.message.includes("too big")) throw tooLarge(maxOutputBytes);
    throw new FormatError("malformed", `snappy data does not decompress: ${(error as Error).message}`);
  }
}

export function unsnappy(data: Uint8Array, maxOutputBytes: number): Uint8Array {
  const xerial = data.byteLength >= XERIAL_HEADER_BYTES && XERIAL_MAGIC.every((b, i) => data[i] === b);
  if (!xerial) return snappyBlock(data, maxOutputBytes);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const chunks: Uint8Array[] = [];
  let total = 0;
  let pos = XERIAL_HEADER_BYTES;
  while (pos < data.byteLength) {
    if (pos + 4 > data.byteLength) throw new FormatError("truncated", "xerial snappy block length cut off");
    const length = view.getInt32(pos);
    pos += 4;
    if (length < 0 || pos + length > data.byteLength)
      throw new FormatError("truncated", `xerial snappy block of ${length} bytes runs past the batch`);
    const block = snappyBlock(data.subarray(pos, pos + length), maxOutputBytes - total);
    pos += length;
    total += block.byteLength;
    chunks.push(block);
  }
  return join(chunks, total);
}
