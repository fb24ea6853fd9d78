/**
 * LZ4 frame compression for Kafka codec 3, with two interchangeable backends:
 *
 * - "native": lz4-napi (lz4_flex behind N-API), used on servers when its prebuilt binary loads.
 * - "js": lz4js's pure-JS block codec (bundles anywhere, browsers included), driven by the frame
 *   writer/reader below rather than by lz4js's own frame functions, because those write 4 MiB
 *   *linked* blocks and do no bounds checking on input. Our JS frames match what lz4_flex and
 *   Java Kafka write: 64 KiB max, independent blocks, no checksums but the header one.
 *
 * Decompression is shared up to the block codec: `parseLz4Frame` and a sequence scan
 * (lz4-frame.ts) validate the frame and find its exact size, so `maxOutputBytes` holds before
 * anything is allocated, and checksums are verified here. Only the blocks then go to lz4_flex
 * (`uncompressSync`) or lz4js. lz4-napi's own `decompressFrameSync` is not used: it runs at
 * ~230 MB/s here, against ~2 GB/s for its block function.
 */

import * as lz4js from "lz4js";
import { hash as xxh32 } from "lz4js/xxh32.js";
import { FormatError } from "./errors.js";
import { LZ4_FRAME_MAGIC, type Lz4Frame, lz4ContentBytes, parseLz4Frame } from "./lz4-frame.js";

export type Lz4Backend = "native" | "js";

interface NativeLz4 {
  compressFrameSync(data: Buffer): Buffer;
  /** One LZ4 block preceded by its decompressed size (uint32le); fails if that size is too small. */
  uncompressSync(data: Buffer): Buffer;
}

type RequireFn = (id: string) => unknown;

/** undefined = not tried yet; null = unavailable here. */
let nativeModule: NativeLz4 | null | undefined;
let choice: Lz4Backend | "auto" = "auto";

/**
 * The ways this runtime may offer a synchronous `require`, best first: Node's `createRequire`
 * for this file (reached through `process.getBuiltinModule`, not a static `node:module` import,
 * which would break browser bundles); a CJS bundle's own `require` (esbuild's ESM output defines
 * a stub that always throws, hence the try-each); `createRequire` from the working directory
 * when a bundler emptied `import.meta.url`.
 */
function requireCandidates(): RequireFn[] {
  const proc = (
    globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; cwd?: () => string } }
  ).process;
  const mod = proc?.getBuiltinModule?.("node:module") as
    | { createRequire?: (from: string) => RequireFn }
    | undefined;
  const out: RequireFn[] = [];
  if (mod?.createRequire && import.meta.url) out.push(mod.createRequire(import.meta.url));
  if (typeof require === "function") out.push(require);
  if (mod?.createRequire && proc?.cwd) out.push(mod.createRequire(`${proc.cwd()}/`));
  return out;
}

/**
 * Loads lz4-napi if it can. Any failure (no Node, no binary for this platform, a binary that
 * misbehaves) means the JS backend.
 */
function loadNative(): NativeLz4 | null {
  let candidates: RequireFn[];
  try {
    candidates = requireCandidates();
  } catch {
    return null;
  }
  for (const req of candidates) {
    try {
      const candidate = req("lz4-napi") as Partial<NativeLz4> | undefined;
      if (
        typeof candidate?.compressFrameSync !== "function" ||
        typeof candidate.uncompressSync !== "function"
      ) {
        continue;
      }
      const native = candidate as NativeLz4;
      const probe = new TextEncoder().encode("floe-lz4-probe floe-lz4-probe floe-lz4-probe");
      const frame = native.compressFrameSync(Buffer.from(probe));
      if (Buffer.from(decompressWith(native, frame, probe.length)).equals(probe)) return native;
    } catch {
      // Try the next way of loading it.
    }
  }
  return null;
}

function getNative(): NativeLz4 | null {
  if (nativeModule === undefined) nativeModule = loadNative();
  return nativeModule;
}

export function lz4NativeAvailable(): boolean {
  return getNative() !== null;
}

/** The backend the next call will use. */
export function lz4Backend(): Lz4Backend {
  if (choice === "js") return "js";
  return getNative() === null ? "js" : "native";
}

/**
 * Forces a backend ("auto" = native when it loads). Forcing "native" where it cannot load throws,
 * so a test that means to exercise the native path cannot silently run the JS one.
 */
export function setLz4Backend(backend: Lz4Backend | "auto"): void {
  if (backend === "native" && getNative() === null)
    throw new Error("lz4-napi is not available in this runtime");
  choice = backend;
}

/** Compresses `data` as one LZ4 frame. */
export function lz4Compress(data: Uint8Array): Uint8Array {
  const native = choice === "js" ? null : getNative();
  if (native === null) return jsCompress(data);
  return native.compressFrameSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

/**
 * Decompresses one LZ4 frame (trailing bytes are malformed). Throws FormatError("too-large")
 * when the output would exceed `maxOutputBytes`, before allocating it.
 */
export function lz4Decompress(data: Uint8Array, maxOutputBytes: number): Uint8Array {
  if (!(Number.isSafeInteger(maxOutputBytes) && maxOutputBytes >= 0)) {
    throw new RangeError(`maxOutputBytes must be a non-negative integer, got ${maxOutputBytes}`);
  }
  return decompressWith(choice === "js" ? null : getNative(), data, maxOutputBytes);
}

function decompressWith(native: NativeLz4 | null, data: Uint8Array, maxOutputBytes: number): Uint8Array {
  const frame = parseLz4Frame(data);
  if (frame.contentSize !== null && frame.contentSize > maxOutputBytes) {
    throw new FormatError(
      "too-large",
      `LZ4 frame declares ${frame.contentSize} bytes, limit ${maxOutputBytes}`,
    );
  }
  const hc = (xxh32(0, data, 4, frame.hcPos - 4) >>> 8) & 0xff;
  if (hc !== data[frame.hcPos])
    throw new FormatError("malformed", "LZ4 header checksum mismatch", frame.hcPos);
  const blockSizes: number[] = [];
  const total = lz4ContentBytes(data, frame, maxOutputBytes, blockSizes);
  if (frame.contentSize !== null && frame.contentSize !== total) {
    throw new FormatError("malformed", "LZ4 content size does not match the data");
  }
  for (const block of frame.blocks) {
    if (block.checksumPos < 0) continue;
    if (xxh32(0, data, block.start, block.end - block.start) !== u32le(data, block.checksumPos)) {
      throw new FormatError("malformed", "LZ4 block checksum mismatch", block.checksumPos);
    }
  }

  // lz4_flex's block function takes no history: linked blocks after the first go to lz4js.
  const linked = !frame.blockIndependent && frame.blocks.filter((b) => b.compressed).length > 1;
  const out =
    native !== null && !linked
      ? nativeBlocks(native, data, frame, blockSizes, total)
      : jsBlocks(data, frame, blockSizes, total);

  if (
    frame.contentChecksumPos >= 0 &&
    xxh32(0, out, 0, out.length) !== u32le(data, frame.contentChecksumPos)
  ) {
    throw new FormatError("malformed", "LZ4 content checksum mismatch", frame.contentChecksumPos);
  }
  return out;
}

function nativeBlocks(
  native: NativeLz4,
  data: Uint8Array,
  frame: Lz4Frame,
  blockSizes: number[],
  total: number,
): Uint8Array {
  // lz4_flex wants each block prefixed by its decompressed size. The block's size word sits right
  // there in the frame, so overwrite those words in one copy of the frame instead of per block.
  const scratch = Buffer.from(data);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < frame.blocks.length; i++) {
    const block = frame.blocks[i]!;
    if (!block.compressed) {
      parts.push(data.subarray(block.start, block.end));
      continue;
    }
    scratch.writeUInt32LE(blockSizes[i]!, block.start - 4);
    let part: Buffer;
    try {
      part = native.uncompressSync(scratch.subarray(block.start - 4, block.end));
    } catch (err) {
      throw new FormatError(
        "malformed",
        `LZ4 block rejected: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (part.length !== blockSizes[i])
      throw new FormatError("malformed", "LZ4 block size mismatch", block.start);
    parts.push(part);
  }
  if (parts.length === 1 && frame.blocks[0]!.compressed) return parts[0]!;
  const out = new Uint8Array(total);
  let pos = 0;
  for (const part of parts) {
    out.set(part, pos);
    pos += part.length;
  }
  return out;
}

function jsBlocks(data: Uint8Array, frame: Lz4Frame, blockSizes: number[], total: number): Uint8Array {
  // lz4js checks nothing; the frame scan has already bounded every block and match offset.
  const out = new Uint8Array(total);
  let dIndex = 0;
  for (let i = 0; i < frame.blocks.length; i++) {
    const block = frame.blocks[i]!;
    const expectedEnd = dIndex + blockSizes[i]!;
    if (block.compressed)
      dIndex = lz4js.decompressBlock(data, out, block.start, block.end - block.start, dIndex);
    else {
      out.set(data.subarray(block.start, block.end), dIndex);
      dIndex += block.end - block.start;
    }
    if (dIndex !== expectedEnd) throw new FormatError("malformed", "LZ4 block size mismatch", block.start);
  }
  return out;
}

// --- JS compression ----------------------------------------------------------------------------

const FLG_V1_INDEPENDENT = 0x60;
const BD_64K = 0x40;
/**
 * Input bytes per block. Not the full 64 KiB: lz4js does not honour the spec's rule that the last
 * match starts >= 12 bytes before the block end, and the C and Java decoders (which size their
 * output to the block max) reject such a match only within 12 bytes of that max. Blocks 16 bytes
 * short of it can never trip the check.
 */
const JS_BLOCK_INPUT_BYTES = 0x10000 - 16;

let hashTable: Uint32Array | undefined;
let blockScratch: Uint8Array | undefined;

function jsCompress(data: Uint8Array): Uint8Array {
  hashTable ??= new Uint32Array(1 << 16);
  blockScratch ??= new Uint8Array(lz4js.compressBound(JS_BLOCK_INPUT_BYTES));
  const blockCount = Math.ceil(data.length / JS_BLOCK_INPUT_BYTES);
  // Worst case: every block stored raw.
  const out = new Uint8Array(7 + blockCount * 4 + data.length + 4);
  const view = new DataView(out.buffer);
  view.setUint32(0, LZ4_FRAME_MAGIC, true);
  out[4] = FLG_V1_INDEPENDENT;
  out[5] = BD_64K;
  out[6] = (xxh32(0, out, 4, 2) >>> 8) & 0xff;
  let pos = 7;
  for (let start = 0; start < data.length; start += JS_BLOCK_INPUT_BYTES) {
    const size = Math.min(JS_BLOCK_INPUT_BYTES, data.length - start);
    // lz4js stores absolute positions in the table: a zeroed table per block = independent blocks.
    hashTable.fill(0);
    const compressed = lz4js.compressBlock(data, blockScratch, start, size, hashTable);
    if (compressed === 0 || compressed >= size) {
      view.setUint32(pos, (0x80000000 | size) >>> 0, true);
      out.set(data.subarray(start, start + size), pos + 4);
      pos += 4 + size;
    } else {
      view.setUint32(pos, compressed, true);
      out.set(blockScratch.subarray(0, compressed), pos + 4);
      pos += 4 + compressed;
    }
  }
  view.setUint32(pos, 0, true);
  return out.subarray(0, pos + 4);
}

function u32le(data: Uint8Array, pos: number): number {
  return (data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16) | (data[pos + 3]! << 24)) >>> 0;
}
