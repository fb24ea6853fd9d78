/** Types of the one function of snappyjs (a pure-JS snappy codec) that Floe uses. */
declare module "snappyjs" {
  /** Throws when the block announces more than `maxLength` bytes or is not valid snappy. */
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
}

declare module "snappyjs/index.js" {
  export function compress(uncompressed: Uint8Array<ArrayBufferLike>): Uint8Array;
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
}
