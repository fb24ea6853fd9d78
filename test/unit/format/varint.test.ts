import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ByteReader,
  ByteWriter,
  FormatError,
  sizeOfVarint,
  sizeOfVarlong,
  utf8Length,
} from "../../../client/src/format/index.js";
import { KafkajsDecoder, KafkajsEncoder } from "./kafkajs-peer.js";

const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const safeInt = fc.oneof(
  fc.integer({ min: -1000, max: 1000 }),
  int32,
  fc.maxSafeInteger(),
  fc.constantFrom(
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 32,
    2 ** 49,
    -(2 ** 49),
  ),
);

/** UTF-16 strings biased towards each UTF-8 width and towards (possibly unpaired) surrogates. */
const utf16Units = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 0x7f }),
      fc.integer({ min: 0x80, max: 0x7ff }),
      fc.integer({ min: 0x800, max: 0xffff }),
      fc.integer({ min: 0xd800, max: 0xdfff }),
    ),
    { maxLength: 30 },
  )
  .map((units) => String.fromCharCode(...units));

function written(write: (w: ByteWriter) => void): Uint8Array {
  const w = new ByteWriter(16);
  write(w);
  return w.finish().slice();
}

function expectFormatError(fn: () => unknown, reason?: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(FormatError);
  if (reason !== undefined) expect((thrown as FormatError).reason).toBe(reason);
}

describe("varint / varlong", () => {
  it("encodes the zig-zag edge values as Kafka does", () => {
    // Prepare
    const cases: [number, string][] = [
      [0, "00"],
      [-1, "01"],
      [1, "02"],
      [63, "7e"],
      [-64, "7f"],
      [64, "8001"],
      [0x7fffffff, "feffffff0f"],
      [-0x80000000, "ffffffff0f"],
    ];

    // Act
    const encoded = cases.map(([n]) => Buffer.from(written((w) => w.varint(n))).toString("hex"));

    // Assess
    expect(encoded).toEqual(cases.map(([, h]) => h));
  });

  it("writes varints byte-for-byte like kafkajs, and each reads the other's", () => {
    fc.assert(
      fc.property(int32, (n) => {
        const theirs = new KafkajsEncoder();
        theirs.writeVarInt(n);
        const ours = written((w) => w.varint(n));
        expect(Buffer.from(ours).toString("hex")).toBe(theirs.buffer.toString("hex"));
        expect(new KafkajsDecoder(Buffer.from(ours)).readVarInt()).toBe(n);
        expect(new ByteReader(ours).varint()).toBe(n);
        expect(sizeOfVarint(n)).toBe(ours.length);
      }),
      { numRuns: 300 },
    );
  });

  it("writes varlongs byte-for-byte like kafkajs over the whole safe-integer range", () => {
    fc.assert(
      fc.property(safeInt, (n) => {
        const theirs = new KafkajsEncoder();
        theirs.writeVarLong(n);
        const ours = written((w) => w.varlong(n));
        expect(Buffer.from(ours).toString("hex")).toBe(theirs.buffer.toString("hex"));
        expect(new KafkajsDecoder(Buffer.from(ours)).readVarLong().toString()).toBe(String(n));
        const reader = new ByteReader(ours);
        expect(reader.varlong()).toBe(n);
        expect(reader.remaining).toBe(0);
        expect(sizeOfVarlong(n)).toBe(ours.length);
      }),
      { numRuns: 400 },
    );
  });

  it("reads 64-bit varlongs that are not safe integers as unsupported, not as rounded numbers", () => {
    // Prepare: zig-zag(2^53) = 2^54, and the 10-byte encoding of int64 min.
    const twoPow53 = new KafkajsEncoder();
    twoPow53.writeVarLong(2 ** 53);
    const int64Min = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);

    // Act / Assess
    expectFormatError(() => new ByteReader(twoPow53.buffer).varlong(), "unsupported");
    expectFormatError(() => new ByteReader(int64Min).varlong(), "unsupported");
  });

  it("rejects over-long and truncated varints without reading past the end", () => {
    expectFormatError(() => new ByteReader(Uint8Array.from([0x80])).varint(), "truncated");
    expectFormatError(
      () => new ByteReader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x1f])).varint(),
      "malformed",
    );
    expectFormatError(() => new ByteReader(new Uint8Array(11).fill(0xff)).varlong(), "malformed");
    expectFormatError(() => new ByteReader(Uint8Array.from([0x80, 0x80]), 0, 1).varint(), "truncated");
  });

  it("refuses to write values outside int32 / the safe range", () => {
    expectFormatError(() => new ByteWriter().varint(2 ** 31), "invalid");
    expectFormatError(() => new ByteWriter().varint(1.5), "invalid");
    expectFormatError(() => new ByteWriter().varlong(2 ** 53), "invalid");
    expectFormatError(() => new ByteWriter().int64(Number.NaN), "invalid");
  });
});

describe("ByteWriter / ByteReader", () => {
  it("round-trips fixed-width fields, bytes and strings while growing from a small buffer", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            i8: fc.integer({ min: -128, max: 127 }),
            i16: fc.integer({ min: -32768, max: 32767 }),
            i32: int32,
            u32: fc.integer({ min: 0, max: 0xffffffff }),
            i64: safeInt,
            data: fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
            text: fc.string({ unit: "grapheme", maxLength: 10 }),
          }),
          { maxLength: 20 },
        ),
        (rows) => {
          // Act
          const bytes = written((w) => {
            for (const r of rows) {
              w.int8(r.i8)
                .int16(r.i16)
                .int32(r.i32)
                .uint32(r.u32)
                .int64(r.i64)
                .varintBytes(r.data)
                .varintString(r.text);
            }
          });
          const reader = new ByteReader(bytes);
          const back = rows.map(() => ({
            i8: reader.int8(),
            i16: reader.int16(),
            i32: reader.int32(),
            u32: reader.uint32(),
            i64: reader.int64(),
            data: reader.varintBytes(),
            text: reader.varintString(),
          }));

          // Assess
          expect(back).toEqual(
            rows.map((r) => ({ ...r, data: r.data === null ? null : new Uint8Array(r.data) })),
          );
          expect(reader.remaining).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("computes UTF-8 lengths exactly as TextEncoder encodes, lone surrogates included", () => {
    fc.assert(
      fc.property(utf16Units, (s) => {
        expect(utf8Length(s)).toBe(new TextEncoder().encode(s).length);
      }),
      { numRuns: 300 },
    );
  });

  it("patches a previously written int32 in place", () => {
    // Prepare
    const w = new ByteWriter(16);
    w.int32(0).int32(7);

    // Act
    w.setInt32At(0, -2);
    w.setUint32At(4, 0xfffffffe);

    // Assess
    const r = new ByteReader(w.finish());
    expect([r.int32(), r.uint32()]).toEqual([-2, 0xfffffffe]);
    expect(() => w.setInt32At(6, 1)).toThrow(RangeError);
  });

  it("never throws anything but FormatError on arbitrary bytes, whatever is read", () => {
    const ops = [
      "int8",
      "int16",
      "int32",
      "int64",
      "varint",
      "varlong",
      "varintBytes",
      "varintString",
    ] as const;
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 40 }),
        fc.array(fc.constantFrom(...ops), { maxLength: 20 }),
        (data, plan) => {
          const reader = new ByteReader(data);
          try {
            for (const op of plan) reader[op]();
          } catch (err) {
            expect(err).toBeInstanceOf(FormatError);
          }
          expect(reader.pos).toBeLessThanOrEqual(data.length);
        },
      ),
      { numRuns: 300 },
    );
  });
});
