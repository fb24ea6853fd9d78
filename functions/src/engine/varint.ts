/**
 * A compact byte encoding for manifest records (commit-record.ts): LEB128 varints over the whole
 * safe-integer range (arithmetic, not 32-bit shifts), zigzag for signed values, length-prefixed
 * UTF-8 strings. DynamoDB bills every KiB written, and a commit record is written on every flush,
 * so the record is bytes rather than a nested map (a map member costs its name on every item).
 */

export class ByteWriter {
  private buf = new Uint8Array(256);
  private at = 0;

  get length(): number {
    return this.at;
  }

  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.at + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.at));
    this.buf = next;
  }

  byte(value: number): void {
    this.room(1);
    this.buf[this.at++] = value & 0xff;
  }

  /** An unsigned safe integer, 7 bits per byte, low bits first. */
  uint(value: number): void {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`varint: ${value} is not a uint`);
    this.room(8);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.at++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.at++] = v;
  }

  /**
   * A signed safe integer, zigzag-mapped (0, -1, 1, -2, ... -> 0, 1, 2, 3, ...). A zigzag value can
   * reach 2^54, past what a double holds exactly, so wide values go through BigInt (rare: only
   * timestamps far from the record's clock are that wide).
   */
  int(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`varint: ${value} is not an integer`);
    if (Math.abs(value) < 2 ** 51) {
      this.uint(value >= 0 ? value * 2 : -value * 2 - 1);
      return;
    }
    this.bigInt(BigInt(value));
  }

  /** `value - base` for two safe integers (timestamps against the record's clock): may be wider. */
  delta(value: number, base: number): void {
    const d = value - base;
    if (Number.isSafeInteger(d)) this.int(d);
    else this.bigInt(BigInt(value) - BigInt(base));
  }

  private bigInt(v: bigint): void {
    let z = v >= 0n ? v * 2n : -v * 2n - 1n;
    this.room(9);
    while (z >= 0x80n) {
      this.buf[this.at++] = Number(z & 0x7fn) | 0x80;
      z >>= 7n;
    }
    this.buf[this.at++] = Number(z);
  }

  string(value: string): void {
    const bytes = new TextEncoder().encode(value);
    this.uint(bytes.byteLength);
    this.room(bytes.byteLength);
    this.buf.set(bytes, this.at);
    this.at += bytes.byteLength;
  }

  bytes(): Uint8Array {
    return this.buf.slice(0, this.at);
  }
}

export class ByteReader {
  private at = 0;

  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.at >= this.buf.length;
  }

  byte(): number {
    if (this.at >= this.buf.length) throw new RangeError("record truncated");
    return this.buf[this.at++]!;
  }

  uint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) break;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new RangeError("varint too long");
    }
    if (!Number.isSafeInteger(value)) throw new RangeError("varint out of range");
    return value;
  }

  int(): number {
    const v = this.wideInt();
    if (typeof v === "number") return v;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER))
      throw new RangeError("varint out of range");
    return Number(v);
  }

  /** The inverse of ByteWriter.delta. */
  delta(base: number): number {
    const v = this.wideInt();
    const sum = typeof v === "number" ? v + base : Number(v + BigInt(base));
    if (!Number.isSafeInteger(sum)) throw new RangeError("varint out of range");
    return sum;
  }

  private wideInt(): number | bigint {
    const start = this.at;
    let length = 1;
    while (this.byte() >= 0x80) length++;
    this.at = start;
    if (length <= 7) {
      const z = this.uint(); // < 2^49: exact as a double
      return z % 2 === 0 ? z / 2 : -(z + 1) / 2;
    }
    let z = 0n;
    let shift = 0n;
    for (let i = 0; i < length; i++) {
      z |= BigInt(this.byte() & 0x7f) << shift;
      shift += 7n;
    }
    return z % 2n === 0n ? z / 2n : -(z + 1n) / 2n;
  }

  string(): string {
    const n = this.uint();
    if (this.at + n > this.buf.length) throw new RangeError("record truncated");
    const s = new TextDecoder("utf-8", { fatal: true }).decode(this.buf.subarray(this.at, this.at + n));
    this.at += n;
    return s;
  }
}
