/**
 * Kafka protocol primitives (protocol guide § Protocol Primitive Types) on top of the record
 * format's bounds-checked ByteReader / ByteWriter:
 *
 *   INT8 INT16 INT32 INT64 UINT16 UINT32 FLOAT64 BOOLEAN  big-endian fixed width
 *   UNSIGNED_VARINT   LEB128, 1..5 bytes (lengths of compact types, tag numbers and sizes)
 *   VARINT / VARLONG  zig-zag LEB128 (records only; see format/varint.ts)
 *   UUID              16 bytes, here a canonical lower-case string
 *   STRING            INT16 length, UTF-8          NULLABLE_STRING: length -1 = null
 *   COMPACT_STRING    UNSIGNED_VARINT length + 1   COMPACT_NULLABLE_STRING: 0 = null
 *   BYTES             INT32 length                 NULLABLE_BYTES: length -1 = null
 *   COMPACT_BYTES     UNSIGNED_VARINT length + 1   COMPACT_NULLABLE_BYTES: 0 = null
 *   ARRAY             INT32 count (-1 = null)      COMPACT_ARRAY: UNSIGNED_VARINT count + 1 (0 = null)
 *   RECORDS           NULLABLE_BYTES / COMPACT_NULLABLE_BYTES holding record batches
 *
 * Every read is bounds-checked: a malformed frame ends in a KafkaDecodeError, never an
 * out-of-range read, a huge allocation or an unbounded loop.
 */
import { ByteReader, ByteWriter, FormatError } from "../../../../client/src/format/index.js";

/** Bytes that cannot be a request of the version they claim: the connection is closed. */
export class KafkaDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KafkaDecodeError";
  }
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

export const NULL_UUID = "00000000-0000-0000-0000-000000000000";

export class KafkaReader {
  private readonly r: ByteReader;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.r = new ByteReader(buf, start, end);
  }

  get pos(): number {
    return this.r.pos;
  }

  get remaining(): number {
    return this.r.remaining;
  }

  /** Runs a read, turning the format's FormatError into KafkaDecodeError. */
  private guard<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (error instanceof FormatError) throw new KafkaDecodeError(error.message);
      throw error;
    }
  }

  int8(): number {
    return this.guard(() => this.r.int8());
  }
  int16(): number {
    return this.guard(() => this.r.int16());
  }
  int32(): number {
    return this.guard(() => this.r.int32());
  }
  int64(): number {
    return this.guard(() => this.r.int64());
  }
  uint16(): number {
    return this.int16() & 0xffff;
  }
  uint32(): number {
    return this.guard(() => this.r.uint32());
  }
  float64(): number {
    const bytes = this.raw(8);
    return new DataView(bytes.buffer, bytes.byteOffset, 8).getFloat64(0);
  }
  bool(): boolean {
    return this.int8() !== 0;
  }

  /** UNSIGNED_VARINT: at most 5 bytes, at most 2^32 - 1. */
  uvarint(): number {
    let value = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.int8() & 0xff;
      value += (b & 0x7f) * 2 ** (7 * i);
      if (b < 0x80) {
        if (value > 0xffffffff) throw new KafkaDecodeError("unsigned varint beyond 32 bits");
        return value;
      }
    }
    throw new KafkaDecodeError("unsigned varint longer than 5 bytes");
  }

  raw(length: number): Uint8Array {
    return this.guard(() => this.r.bytes(length));
  }

  skip(length: number): void {
    this.guard(() => this.r.skip(length));
  }

  /** A reader over the next `length` bytes (a tagged field's value), which this one skips. */
  sub(length: number): KafkaReader {
    return new KafkaReader(this.raw(length));
  }

  uuid(): string {
    const b = this.raw(16);
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /** A length read from the wire: null for the null marker, else checked against what is left. */
  private length(compact: boolean): number | null {
    const n = compact ? this.uvarint() - 1 : this.int16();
    if (n === -1) return null;
    if (n < -1) throw new KafkaDecodeError(`negative length ${n}`);
    if (n > this.remaining) throw new KafkaDecodeError(`length ${n} runs past the frame`);
    return n;
  }

  string(compact: boolean, nullable: boolean): string | null {
    const n = this.length(compact);
    if (n === null) {
      if (!nullable) throw new KafkaDecodeError("null in a non-nullable string");
      return null;
    }
    try {
      return utf8Decoder.decode(this.raw(n));
    } catch (error) {
      if (error instanceof TypeError) throw new KafkaDecodeError("string is not valid UTF-8");
      throw error;
    }
  }

  bytes(compact: boolean, nullable: boolean): Uint8Array | null {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n === -1) {
      if (!nullable) throw new KafkaDecodeError("null in non-nullable bytes");
      return null;
    }
    if (n < -1) throw new KafkaDecodeError(`negative length ${n}`);
    if (n > this.remaining) throw new KafkaDecodeError(`length ${n} runs past the frame`);
    return this.raw(n);
  }

  /** An array's element count (null marker → null); each element takes at least one byte. */
  arrayLength(compact: boolean): number | null {
    const n = compact ? this.uvarint() - 1 : this.int32();
    if (n === -1) return null;
    if (n < -1) throw new KafkaDecodeError(`negative array length ${n}`);
    if (n > this.remaining) throw new KafkaDecodeError(`array of ${n} elements cannot fit the frame`);
    return n;
  }
}

export class KafkaWriter {
  private readonly w: ByteWriter;

  constructor(initialCapacityBytes = 256) {
    this.w = new ByteWriter(initialCapacityBytes);
  }

  get length(): number {
    return this.w.length;
  }

  int8(n: number): this {
    this.w.int8(n);
    return this;
  }
  int16(n: number): this {
    this.w.int16(n);
    return this;
  }
  int32(n: number): this {
    this.w.int32(n);
    return this;
  }
  int64(n: number): this {
    this.w.int64(n);
    return this;
  }
  uint16(n: number): this {
    this.w.int16((n << 16) >> 16);
    return this;
  }
  uint32(n: number): this {
    this.w.uint32(n);
    return this;
  }
  float64(n: number): this {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, n);
    this.w.bytes(b);
    return this;
  }
  bool(b: boolean): this {
    return this.int8(b ? 1 : 0);
  }

  uvarint(n: number): this {
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`uvarint out of range: ${n}`);
    let v = n;
    while (v >= 0x80) {
      this.w.bytes(Uint8Array.of((v % 0x80) | 0x80));
      v = Math.floor(v / 0x80);
    }
    this.w.bytes(Uint8Array.of(v));
    return this;
  }

  raw(b: Uint8Array): this {
    this.w.bytes(b);
    return this;
  }

  uuid(id: string): this {
    const hex = id.replaceAll("-", "");
    if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new RangeError(`not a uuid: ${id}`);
    const b = new Uint8Array(16);
    for (let i = 0; i < 16; i++) b[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    return this.raw(b);
  }

  string(s: string | null, compact: boolean): this {
    if (s === null) return compact ? this.uvarint(0) : this.int16(-1);
    const b = utf8Encoder.encode(s);
    if (compact) this.uvarint(b.length + 1);
    else this.int16(b.length);
    return this.raw(b);
  }

  bytes(b: Uint8Array | null, compact: boolean): this {
    if (b === null) return compact ? this.uvarint(0) : this.int32(-1);
    if (compact) this.uvarint(b.length + 1);
    else this.int32(b.length);
    return this.raw(b);
  }

  arrayLength(n: number | null, compact: boolean): this {
    if (n === null) return compact ? this.uvarint(0) : this.int32(-1);
    return compact ? this.uvarint(n + 1) : this.int32(n);
  }

  finish(): Uint8Array {
    return this.w.finish();
  }
}
