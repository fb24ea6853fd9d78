/**
 * LZ4 frame compression for Kafka codec 3, with two interchangeable backends:
 *
 * - "native": lz4-napi (lz4_flex behind N-API), used on servers when its prebuilt binary loads.
 * - "js": lz4js's pure-JS block codec (bundles anywhere, browsers included), driven by the frame
 *   writer/reader below rather than by lz4js's own frame functions, because those write 4 MiB
 *   *linked* blocks and do no bounds checking on input. Our JS frames match what lz4_flex and
 *   Java Kafka write: 64 KiB max, independent blocks, no checksums but the header one.
 *
 * Both backends read each other's frames. Decompression always goes through `parseLz4Frame`
 * first, so the output budget (`maxOutputBytes`) is enforced before any memory is allocated.
 */

import * as lz4js from "lz4js";
import { hash as xxh32 } from "lz4js/xxh32.js";
import { FormatError } from "./errors.js";
import { LZ4_FRAME_MAGIC, type Lz4Frame, lz4ContentBytes, parseLz4Frame } from "./lz4-frame.js";

export type Lz4Backend = "native" | "js";

interface NativeLz4 {
  compressFrameSync(data: Buffer): Buffer;
  decompressFrameSync(data: Buffer): Buffer;
}

type RequireFn = (id: string) => unknown;

/** undefined = not tried yet; null = unavailable here. */
let nativeModule: NativeLz4 | null | undefined;
let choice: Lz4Backend | "auto" = "auto";

/**
 * Loads lz4-napi synchronously if this runtime can: `require` in a CJS bundle, else Node's
 * `createRequire` reached through `process.getBuiltinModule` — not a static `node:module` import,
 * which would break browser bundles. Any failure (no Node, no binary for this platform, a broken
 * binary) means the JS backend.
 */
function loadNative(): NativeLz4 | null {
  try {
    let req: RequireFn | undefined;
    if (typeof require === "function") req = require;
    else {
      const proc = (
        globalThis as { process?: { getBuiltinModule?: (id: string) => unknown; cwd?: () => string } }
      ).process;
      const mod = proc?.getBuiltinModule?.("node:module") as
        | { createRequire?: (from: string) => RequireFn }
        | undefined;
      // import.meta.url is empty when a bundler rewrote this file to CJS; resolve from the cwd then.
      const from = import.meta.url || `${proc?.cwd?.() ?? "."}/`;
      req = mod?.createRequire?.(from);
    }
    const candidate = req?.("lz4-napi") as Partial<NativeLz4> | undefined;
    if (
      typeof candidate?.compressFrameSync !== "function" ||
      typeof candidate.decompressFrameSync !== "function"
    ) {
      return null;
    }
    const native = candidate as NativeLz4;
    // Smoke test: a binary that loads but misbehaves must not be trusted with the log.
    const probe = Buffer.from("floe-lz4-probe floe-lz4-probe");
    if (!native.decompressFrameSync(native.compressFrameSync(probe)).equals(probe)) return null;
    return native;
  } catch {
    return null;
  }
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

function toBuffer(data: Uint8Array): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Compresses `data` as one LZ4 frame. */
export function lz4Compress(data: Uint8Array): Uint8Array {
  const native = choice === "js" ? null : getNative();
  return native ? native.compressFrameSync(toBuffer(data)) : jsCompress(data);
}

/**
 * Decompresses one LZ4 frame (trailing bytes are malformed). Throws FormatError("too-large")
 * when the output would exceed `maxOutputBytes`, before allocating it.
 */
export function lz4Decompress(data: Uint8Array, maxOutputBytes: number): Uint8Array {
  if (!(Number.isSafeInteger(maxOutputBytes) && maxOutputBytes >= 0)) {
    throw new RangeError(`maxOutputBytes must be a non-negative integer, got ${maxOutputBytes}`);
  }
  const frame = parseLz4Frame(data);
  if (frame.contentSize !== null && frame.contentSize > maxOutputBytes) {
    throw new FormatError(
      "too-large",
      `LZ4 frame declares ${frame.contentSize} bytes, limit ${maxOutputBytes}`,
    );
  }
  const native = choice === "js" ? null : getNative();
  if (native === null) return jsDecompress(data, frame, maxOutputBytes);

  // Only scan sequences when the cheap block-count bound does not already fit the budget.
  if (frame.outputBoundBytes > maxOutputBytes) lz4ContentBytes(data, frame, maxOutputBytes);
  let out: Buffer;
  try {
    out = native.decompressFrameSync(toBuffer(data));
  } catch (err) {
    throw new FormatError(
      "malformed",
      `LZ4 frame rejected: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (out.length > maxOutputBytes) throw new FormatError("too-large", "LZ4 output beyond limit");
  if (frame.contentSize !== null && frame.contentSize !== out.length) {
    throw new FormatError("malformed", "LZ4 content size does not match the data");
  }
  return out;
}

// --- JS backend --------------------------------------------------------------------------------

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

function jsDecompress(data: Uint8Array, frame: Lz4Frame, maxOutputBytes: number): Uint8Array {
  // lz4js checks no checksums and no bounds, so everything is verified here before it runs.
  const hc = (xxh32(0, data, 4, frame.hcPos - 4) >>> 8) & 0xff;
  if (hc !== data[frame.hcPos])
    throw new FormatError("malformed", "LZ4 header checksum mismatch", frame.hcPos);
  const blockSizes: number[] = [];
  const total = lz4ContentBytes(data, frame, maxOutputBytes, blockSizes);
  if (frame.contentSize !== null && frame.contentSize !== total) {
    throw new FormatError("malformed", "LZ4 content size does not match the data");
  }
  const out = new Uint8Array(total);
  let dIndex = 0;
  for (let i = 0; i < frame.blocks.length; i++) {
    const block = frame.blocks[i]!;
    if (block.checksumPos >= 0) {
      const sum = xxh32(0, data, block.start, block.end - block.start);
      if (sum !== u32le(data, block.checksumPos)) {
        throw new FormatError("malformed", "LZ4 block checksum mismatch", block.checksumPos);
      }
    }
    const expectedEnd = dIndex + blockSizes[i]!;
    if (block.compressed)
      dIndex = lz4js.decompressBlock(data, out, block.start, block.end - block.start, dIndex);
    else {
      out.set(data.subarray(block.start, block.end), dIndex);
      dIndex += block.end - block.start;
    }
    if (dIndex !== expectedEnd) throw new FormatError("malformed", "LZ4 block size mismatch", block.start);
  }
  if (
    frame.contentChecksumPos >= 0 &&
    xxh32(0, out, 0, out.length) !== u32le(data, frame.contentChecksumPos)
  ) {
    throw new FormatError("malformed", "LZ4 content checksum mismatch", frame.contentChecksumPos);
  }
  return out;
}

function u32le(data: Uint8Array, pos: number): number {
  return (data[pos]! | (data[pos + 1]! << 8) | (data[pos + 2]! << 16) | (data[pos + 3]! << 24)) >>> 0;
}
