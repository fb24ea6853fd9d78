// lz4js 0.2 ships no types. Only the pieces Floe calls are declared; see lz4.ts for why Floe
// drives the block functions itself instead of lz4js's own frame writer.
declare module "lz4js" {
  /**
   * Compresses src[sIndex, sIndex + sLength) into dst from index 0; returns the compressed size,
   * or 0 when nothing matched in a block that starts at index 0. Positions in `hashTable` are
   * absolute, so a zeroed table per block gives independent blocks.
   */
  export function compressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    hashTable: Uint32Array,
  ): number;
  /** Decompresses src[sIndex, sIndex + sLength) into dst at dIndex; returns the new dIndex. No bounds checks. */
  export function decompressBlock(
    src: Uint8Array,
    dst: Uint8Array,
    sIndex: number,
    sLength: number,
    dIndex: number,
  ): number;
  export function compressBound(n: number): number;
  /** Whole-frame helpers (4 MiB linked blocks); used by tests as an independent peer. */
  export function compress(src: Uint8Array, maxSize?: number): Uint8Array;
  export function decompress(src: Uint8Array, maxSize?: number): Uint8Array;
}

declare module "lz4js/xxh32.js" {
  /** xxHash32 of src[index, index + len) as an unsigned 32-bit number. */
  export function hash(seed: number, src: Uint8Array, index: number, len: number): number;
}
