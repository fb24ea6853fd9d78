/**
 * Kafka's primitive encodings: big-endian fixed-width integers, zig-zag varints (int32) and
 * varlongs (int64), varint-length-prefixed bytes and strings.
 *
 *   varint  => zig-zag(int32) as unsigned LEB128, 1..5 bytes
 *   varlong => zig-zag(int64) as unsigned LEB128, 1..10 bytes
 *   bytes   => length:varint (-1 = null) data:byte[length]
 *
 * int64 fields are JS numbers: every value must be a safe integer (|n| < 2^53). Readers reject
 * anything outside that range instead of silently rounding an offset or timestamp.
 */

import { FormatError } from "./errors.js";

const TWO_32 = 4294967296;

const utf8Encoder = new TextEncoder();
// Not fatal: Java Kafka decodes header keys with replacement characters, so do we.
const utf8Decoder = new TextDecoder("utf-8");

function isInt32(n: number): boolean {
  return (n | 0) === n;
}

/** Bytes taken by `n` (an int32) as a zig-zag varint. */
export function sizeOfVarint(n: number): number {
  let zz = ((n << 1) ^ (n >> 31)) >>> 0;
  let size = 1;
  while (zz >= 0x80) {
    zz >>>= 7;
    size++;
  }
  return size;
}

/** Bytes taken by `n` (a safe integer) as a zig-zag varlong. */
export function sizeOfVarlong(n: number): number {
  if (n >= -0x40000000 && n < 0x40000000) return sizeOfVarint(n);
  // |n| >= 2^30: count 7-bit groups of the 64-bit zig-zag value, computed exactly in floats
  // (zz <= 2^54 for safe integers, and powers of two are exact).
  let zz = n >= 0 ? n * 2 : -n * 2 - 1;
  let size = 1;
  while (zz >= 128) {
    zz = Math.floor(zz / 128);
    size++;
  }
  return size;
}

/** Bytes taken by a nullable byte string with a varint length prefix. */
export function sizeOfVarintBytes(data: Uint8Array | null): number {
  return data === null ? 1 : sizeOfVarint(data.length) + data.length;
}

/**
 * UTF-8 length of a JS string as TextEncoder would encode it (lone surrogates become U+FFFD,
 * 3 bytes), without allocating.
 */
export function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * A growable big-endian writer. Size it exactly when the size is known (the batch encoder does),
 * so it never reallocates; growth doubles otherwise.
 */
export class ByteWriter {
  private buf: Uint8Array;
  private view: DataView;
  /** Next write position = bytes written so far. */
  pos = 0;

  constructor(initialCapacityBytes = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacityBytes));
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  private ensure(bytes: number): void {
    const needed = this.pos + bytes;
    if (needed <= this.buf.length) return;
    let capacity = this.buf.length * 2;
    while (capacity < needed) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  int8(n: number): this {
    checkRange(n, -0x80, 0x7f, "int8");
    this.ensure(1);
    this.view.setInt8(this.pos, n);
    this.pos += 1;
    return this;
  }

  int16(n: number): this {
    checkRange(n, -0x8000, 0x7fff, "int16");
    this.ensure(2);
    this.view.setInt16(this.pos, n);
    this.pos += 2;
    return this;
  }

  int32(n: number): this {
    checkRange(n, -0x80000000, 0x7fffffff, "int32");
    this.ensure(4);
    this.view.setInt32(this.pos, n);
    this.pos += 4;
    return this;
  }

  uint32(n: number): this {
    checkRange(n, 0, 0xffffffff, "uint32");
    this.ensure(4);
    this.view.setUint32(this.pos, n);
    this.pos += 4;
    return this;
  }

  /** int64 from a safe integer. */
  int64(n: number): this {
    this.ensure(8);
    writeInt64(this.view, this.pos, n);
    this.pos += 8;
    return this;
  }

  /** Zig-zag varint of an int32. */
  varint(n: number): this {
    if (!isInt32(n)) throw new FormatError("invalid", `varint out of int32 range: ${n}`);
    this.ensure(5);
    const buf = this.buf;
    let pos = this.pos;
    let zz = ((n << 1) ^ (n >> 31)) >>> 0;
    while (zz >= 0x80) {
      buf[pos++] = (zz & 0x7f) | 0x80;
      zz >>>= 7;
    }
    buf[pos++] = zz;
    this.pos = pos;
    return this;
  }

  /** Zig-zag varlong of a safe integer. */
  varlong(n: number): this {
    if (n >= -0x40000000 && n < 0x40000000 && isInt32(n)) return this.varint(n);
    if (!Number.isSafeInteger(n)) throw new FormatError("invalid", `varlong not a safe integer: ${n}`);
    this.ensure(10);
    // Split the int64 into 32-bit halves so the zig-zag shift is exact over the whole range.
    const hi = Math.floor(n / TWO_32);
    const lo = n - hi * TWO_32;
    const sign = hi >> 31;
    let zzLo = ((lo << 1) ^ sign) >>> 0;
    let zzHi = (((hi << 1) | (lo >>> 31)) ^ sign) >>> 0;
    const buf = this.buf;
    let pos = this.pos;
    while (zzHi !== 0 || zzLo >= 0x80) {
      buf[pos++] = (zzLo & 0x7f) | 0x80;
      zzLo = ((zzLo >>> 7) | (zzHi << 25)) >>> 0;
      zzHi >>>= 7;
    }
    buf[pos++] = zzLo;
    this.pos = pos;
    return this;
  }

  /** Raw bytes, no length prefix. */
  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
    return this;
  }

  /** varint length (-1 for null) then the bytes. */
  varintBytes(data: Uint8Array | null): this {
    if (data === null) return this.varint(-1);
    return this.varint(data.length).bytes(data);
  }

  /** varint UTF-8 length then the UTF-8 bytes; `byteLength` may be passed when already known. */
  varintString(s: string, byteLength: number = utf8Length(s)): this {
    this.varint(byteLength);
    this.ensure(byteLength);
    const buf = this.buf;
    let pos = this.pos;
    if (byteLength === s.length) {
      // ASCII: skip TextEncoder's call overhead, which dominates for short header keys.
      for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
    } else {
      const written = utf8Encoder.encodeInto(s, buf.subarray(pos, pos + byteLength)).written;
      if (written !== byteLength) throw new FormatError("invalid", "utf8Length disagrees with TextEncoder");
      pos += byteLength;
    }
    this.pos = pos;
    return this;
  }

  /** Overwrites 4 bytes already written (length and CRC fields filled in after the body). */
  setInt32At(pos: number, n: number): void {
    checkRange(n, -0x80000000, 0x7fffffff, "int32");
    if (pos < 0 || pos + 4 > this.pos) throw new RangeError(`setInt32At(${pos}) outside written bytes`);
    this.view.setInt32(pos, n);
  }

  setUint32At(pos: number, n: number): void {
    checkRange(n, 0, 0xffffffff, "uint32");
    if (pos < 0 || pos + 4 > this.pos) throw new RangeError(`setUint32At(${pos}) outside written bytes`);
    this.view.setUint32(pos, n);
  }

  /** The written bytes as a view (no copy); a later write that grows the buffer detaches it. */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }
}

function checkRange(n: number, min: number, max: number, what: string): void {
  if (!(Number.isInteger(n) && n >= min && n <= max))
    throw new FormatError("invalid", `${what} out of range: ${n}`);
}

/** Writes a safe integer as a big-endian int64. */
export function writeInt64(view: DataView, pos: number, n: number): void {
  if (!Number.isSafeInteger(n)) throw new FormatError("invalid", `int64 not a safe integer: ${n}`);
  const hi = Math.floor(n / TWO_32);
  view.setInt32(pos, hi);
  view.setUint32(pos + 4, n - hi * TWO_32);
}

/** Reads a big-endian int64; throws unless it is a safe integer. */
export function readInt64(buf: Uint8Array, pos: number): number {
  const hi = (buf[pos]! << 24) | (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!;
  const lo = ((buf[pos + 4]! << 24) | (buf[pos + 5]! << 16) | (buf[pos + 6]! << 8) | buf[pos + 7]!) >>> 0;
  const n = hi * TWO_32 + lo;
  // A rounded result keeps |n| >= 2^53, so this also catches values that lost precision.
  if (!Number.isSafeInteger(n)) throw new FormatError("unsupported", "int64 beyond 2^53", pos);
  return n;
}

export function readInt32(buf: Uint8Array, pos: number): number {
  return (buf[pos]! << 24) | (buf[pos + 1]! << 16) | (buf[pos + 2]! << 8) | buf[pos + 3]!;
}

export function readInt16(buf: Uint8Array, pos: number): number {
  return (((buf[pos]! << 8) | buf[pos + 1]!) << 16) >> 16;
}

/**
 * A bounds-checked big-endian reader over `buf[start, end)`. Every read checks what is left first,
 * so malformed input ends in a FormatError("truncated" | "malformed"), never an out-of-bounds read
 * (which on a typed array would silently yield `undefined`) and never an unbounded loop: varints
 * stop after 5 bytes, varlongs after 10.
 */
export class ByteReader {
  readonly buf: Uint8Array;
  readonly end: number;
  pos: number;

  constructor(buf: Uint8Array, start = 0, end: number = buf.length) {
    if (
      !(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= buf.length)
    ) {
      throw new RangeError(`ByteReader: bad range [${start}, ${end}) for ${buf.length} bytes`);
    }
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(bytes: number): void {
    if (bytes > this.end - this.pos) {
      throw new FormatError("truncated", `need ${bytes} bytes, ${this.end - this.pos} left`, this.pos);
    }
  }

  int8(): number {
    this.need(1);
    return (this.buf[this.pos++]! << 24) >> 24;
  }

  int16(): number {
    this.need(2);
    const n = readInt16(this.buf, this.pos);
    this.pos += 2;
    return n;
  }

  int32(): number {
    this.need(4);
    const n = readInt32(this.buf, this.pos);
    this.pos += 4;
    return n;
  }

  uint32(): number {
    return this.int32() >>> 0;
  }

  int64(): number {
    this.need(8);
    const n = readInt64(this.buf, this.pos);
    this.pos += 8;
    return n;
  }

  /** Zig-zag varint (int32). */
  varint(): number {
    const buf = this.buf;
    const end = this.end;
    const start = this.pos;
    let pos = start;
    let zz = 0;
    for (let shift = 0; ; shift += 7) {
      if (pos >= end) throw new FormatError("truncated", "varint runs past the end", start);
      const b = buf[pos++]!;
      if (shift === 28) {
        // 5th byte: only 4 payload bits are left in an int32, and no continuation.
        if (b > 0x0f) throw new FormatError("malformed", "varint longer than 32 bits", start);
        zz |= b << 28;
        break;
      }
      zz |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    this.pos = pos;
    return (zz >>> 1) ^ -(zz & 1);
  }

  /** Zig-zag varlong; must decode to a safe integer. */
  varlong(): number {
    const buf = this.buf;
    const end = this.end;
    const start = this.pos;
    let pos = start;
    // Fast path: timestamp deltas are usually small.
    if (pos < end && buf[pos]! < 0x80) {
      const b = buf[pos]!;
      this.pos = pos + 1;
      return (b >>> 1) ^ -(b & 1);
    }
    let lo = 0;
    let hi = 0;
    for (let i = 0; ; i++) {
      if (pos >= end) throw new FormatError("truncated", "varlong runs past the end", start);
      const b = buf[pos++]!;
      const bits = b & 0x7f;
      if (i < 4) lo |= bits << (7 * i);
      else if (i === 4) {
        lo |= bits << 28;
        hi |= bits >>> 4;
      } else if (i < 9) hi |= bits << (7 * i - 32);
      else {
        // 10th byte: a single payload bit (bit 63) and no continuation.
        if (b > 0x01) throw new FormatError("malformed", "varlong longer than 64 bits", start);
        hi |= b << 31;
        break;
      }
      if (b < 0x80) break;
    }
    this.pos = pos;
    // Un-zig-zag on the 64-bit (hi, lo) pair: n = (zz >>> 1) ^ -(zz & 1).
    const neg = lo & 1;
    let nLo = ((lo >>> 1) | (hi << 31)) >>> 0;
    let nHi = hi >>> 1;
    if (neg) {
      nLo = ~nLo >>> 0;
      nHi = ~nHi;
    }
    const n = nHi * TWO_32 + nLo;
    if (!Number.isSafeInteger(n)) throw new FormatError("unsupported", "varlong beyond 2^53", start);
    return n;
  }

  /** `length` raw bytes as a view into the input (no copy). */
  bytes(length: number): Uint8Array {
    this.need(length);
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  /** varint length then bytes; -1 is null, other negatives are malformed. A view, no copy. */
  varintBytes(): Uint8Array | null {
    const at = this.pos;
    const length = this.varint();
    if (length === -1) return null;
    if (length < 0) throw new FormatError("malformed", `negative length ${length}`, at);
    return this.bytes(length);
  }

  /** varint length then UTF-8; null (-1) is malformed here (Kafka header keys are never null). */
  varintString(): string {
    const at = this.pos;
    const length = this.varint();
    if (length < 0) throw new FormatError("malformed", `bad string length ${length}`, at);
    this.need(length);
    const buf = this.buf;
    const start = this.pos;
    this.pos += length;
    if (length <= 32) {
      let s = "";
      for (let i = start; i < start + length; i++) {
        const c = buf[i]!;
        if (c >= 0x80) return utf8Decoder.decode(buf.subarray(start, start + length));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8Decoder.decode(buf.subarray(start, start + length));
  }

  skip(length: number): void {
    this.need(length);
    this.pos += length;
  }
}
