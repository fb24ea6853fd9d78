/**
 * Batches whose CRC is right and whose records section is wrong, one kind of wrong at a time:
 * the input a broker must refuse although `splitBatches` (header + CRC) accepts it. Records are
 * laid out field by field here, independently of the encoder, so any field can be replaced by
 * raw bytes; then the header is written around them and the CRC computed last, as a careless or
 * hostile producer would.
 */

import fc from "fast-check";
import { ByteWriter, crc32c, lz4Compress } from "../../../client/src/format/index.js";

/** One record as raw field bytes (every varint already encoded), so a test can swap any of them. */
export interface RawRecord {
  attributes: Uint8Array;
  timestampDelta: Uint8Array;
  offsetDelta: Uint8Array;
  key: Uint8Array;
  value: Uint8Array;
  headerCount: Uint8Array;
  headers: Uint8Array;
  /** Replaces the length prefix (default: the varint of the body's size). */
  length?: Uint8Array;
}

export interface RawBatch {
  records: RawRecord[];
  /** Codec bits of the attributes (0 none, 3 lz4, others unsupported). */
  codec: number;
  /** Compress the records section (default: when codec is 3). */
  compress?: boolean;
  recordCount?: number;
  lastOffsetDelta?: number;
  /** Appended to the records section (before compression). */
  trailing?: Uint8Array;
}

export const varint = (n: number): Uint8Array => new ByteWriter(8).varint(n).finish().slice();
export const varlong = (n: number): Uint8Array => new ByteWriter(16).varlong(n).finish().slice();
const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
export const lengthPrefixed = (data: Uint8Array | null): Uint8Array =>
  data === null ? varint(-1) : concat([varint(data.length), data]);

export function recordBody(r: RawRecord): Uint8Array {
  return concat([r.attributes, r.timestampDelta, r.offsetDelta, r.key, r.value, r.headerCount, r.headers]);
}

export function recordsSection(records: RawRecord[]): Uint8Array {
  return concat(
    records.flatMap((r) => {
      const body = recordBody(r);
      return [r.length ?? varint(body.length), body];
    }),
  );
}

const FIRST_TIMESTAMP = 1_700_000_000_000;

/** The whole batch: 61-byte header, records (maybe lz4), CRC-32C over attributes..end. */
export function rawBatch(spec: RawBatch): Uint8Array {
  let section = recordsSection(spec.records);
  if (spec.trailing) section = concat([section, spec.trailing]);
  if (spec.compress ?? spec.codec === 3) section = lz4Compress(section);
  const recordCount = spec.recordCount ?? spec.records.length;
  const w = new ByteWriter(61 + section.length);
  w.int64(0)
    .int32(49 + section.length)
    .int32(-1)
    .int8(2)
    .uint32(0)
    .int16(spec.codec)
    .int32(spec.lastOffsetDelta ?? recordCount - 1)
    .int64(FIRST_TIMESTAMP)
    .int64(FIRST_TIMESTAMP + 1000)
    .int64(-1)
    .int16(-1)
    .int32(-1)
    .int32(recordCount)
    .bytes(section);
  const out = w.finish();
  w.setUint32At(17, crc32c(out, 21, out.length));
  return out.slice();
}

const bytesArb = fc.option(fc.uint8Array({ maxLength: 24 }), { nil: null, freq: 4 });
const headerArb = fc.record({ key: fc.string({ maxLength: 6 }), value: bytesArb });

/** A valid record `i` of a batch. */
export function validRecordArb(i: number): fc.Arbitrary<RawRecord> {
  return fc
    .record({
      timestampDelta: fc.integer({ min: -1000, max: 1000 }),
      key: bytesArb,
      value: bytesArb,
      headers: fc.array(headerArb, { maxLength: 3 }),
    })
    .map(({ timestampDelta, key, value, headers }) => ({
      attributes: new Uint8Array([0]),
      timestampDelta: varlong(timestampDelta),
      offsetDelta: varint(i),
      key: lengthPrefixed(key),
      value: lengthPrefixed(value),
      headerCount: varint(headers.length),
      headers: concat(
        headers.flatMap((h) => [lengthPrefixed(new TextEncoder().encode(h.key)), lengthPrefixed(h.value)]),
      ),
    }));
}

/** 1..5 valid records with dense offset deltas. */
export const validRecordsArb: fc.Arbitrary<RawRecord[]> = fc
  .integer({ min: 1, max: 5 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => validRecordArb(i))));

export type CorruptionKind =
  | "varint overflow"
  | "varlong overflow"
  | "negative length"
  | "length past the record"
  | "absurd header count"
  | "record length mismatch"
  | "offset delta not dense"
  | "record count mismatch"
  | "trailing bytes"
  | "not lz4"
  | "unsupported codec";

export interface CorruptBatch {
  kind: CorruptionKind;
  bytes: Uint8Array;
}

/** Varints that never end within 5 bytes or carry bits beyond 32. */
const overlongVarint = fc.oneof(
  fc.constant(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x00])),
  fc.constant(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7f])),
  fc.integer({ min: 0x10, max: 0x7f }).map((b) => new Uint8Array([0x80, 0x80, 0x80, 0x80, b])),
);
const overlongVarlong = fc.oneof(
  fc.constant(new Uint8Array([...new Array(10).fill(0x80), 0x00])),
  fc.integer({ min: 2, max: 0x7f }).map((b) => new Uint8Array([...new Array(9).fill(0x80), b])),
);
type VarintField = "length" | "offsetDelta" | "key" | "value" | "headerCount";

function withRecord(records: RawRecord[], at: number, change: (r: RawRecord) => RawRecord): RawRecord[] {
  const i = at % records.length;
  return records.map((r, j) => (j === i ? change(r) : r));
}

/** Corrupted records, wrapped in a batch of either codec with a correct CRC. */
export function corruptBatchArb(): fc.Arbitrary<CorruptBatch> {
  const base = fc.record({ records: validRecordsArb, at: fc.nat(), lz4: fc.boolean() });
  const batch = (kind: CorruptionKind, lz4: boolean, spec: Omit<RawBatch, "codec">): CorruptBatch => ({
    kind,
    bytes: rawBatch({ ...spec, codec: lz4 ? 3 : 0 }),
  });
  const kinds: fc.Arbitrary<CorruptBatch>[] = [
    fc
      .tuple(
        base,
        fc.constantFrom<VarintField>("length", "offsetDelta", "key", "value", "headerCount"),
        overlongVarint,
      )
      .map(([{ records, at, lz4 }, field, bad]) =>
        batch("varint overflow", lz4, { records: withRecord(records, at, (r) => ({ ...r, [field]: bad })) }),
      ),
    fc.tuple(base, overlongVarlong).map(([{ records, at, lz4 }, bad]) =>
      batch("varlong overflow", lz4, {
        records: withRecord(records, at, (r) => ({ ...r, timestampDelta: bad })),
      }),
    ),
    fc
      .tuple(
        base,
        fc.constantFrom("key", "value", "header key", "header value"),
        fc.integer({ min: -(2 ** 31), max: -2 }),
      )
      .map(([{ records, at, lz4 }, field, n]) =>
        batch("negative length", lz4, {
          records: withRecord(records, at, (r) => {
            if (field === "key") return { ...r, key: varint(n) };
            if (field === "value") return { ...r, value: varint(n) };
            // A header key may not even be null (-1).
            const header =
              field === "header key"
                ? [varint(n % 2 === 0 ? -1 : n), lengthPrefixed(null)]
                : [lengthPrefixed(new Uint8Array([0x61])), varint(n)];
            return { ...r, headerCount: varint(1), headers: concat(header) };
          }),
        }),
      ),
    fc
      .tuple(base, fc.constantFrom("key", "value"), fc.integer({ min: 1, max: 1000 }))
      .map(([{ records, at, lz4 }, field, extra]) =>
        batch("length past the record", lz4, {
          records: withRecord(records, at, (r) => {
            // Past everything after the field in the record, so no other parse can fit.
            const after = (field === "key" ? r.value.length : 0) + r.headerCount.length + r.headers.length;
            const declared = Math.max(lengthOf(r[field]), 0) + after + extra;
            return { ...r, [field]: concat([varint(declared), payloadOf(r[field])]) };
          }),
        }),
      ),
    fc
      .tuple(
        base,
        fc.oneof(fc.integer({ min: -(2 ** 31), max: -1 }), fc.integer({ min: 100, max: 2 ** 31 - 1 })),
      )
      .map(([{ records, at, lz4 }, n]) =>
        batch("absurd header count", lz4, {
          records: withRecord(records, at, (r) => ({ ...r, headerCount: varint(n) })),
        }),
      ),
    fc
      .tuple(
        base,
        fc.integer({ min: -6, max: 40 }).filter((d) => d !== 0),
      )
      .map(([{ records, at, lz4 }, d]) =>
        batch("record length mismatch", lz4, {
          records: withRecord(records, at, (r) => ({ ...r, length: varint(recordBody(r).length + d) })),
        }),
      ),
    fc
      .tuple(base, fc.integer({ min: -3, max: 12 }))
      .filter(([{ records, at }, d]) => d !== at % records.length)
      .map(([{ records, at, lz4 }, d]) =>
        batch("offset delta not dense", lz4, {
          records: withRecord(records, at, (r) => ({ ...r, offsetDelta: varint(d) })),
        }),
      ),
    fc
      .tuple(
        base,
        fc.integer({ min: -5, max: 5 }).filter((d) => d !== 0),
        fc.boolean(),
      )
      .filter(([{ records }, d]) => records.length + d >= 0)
      .map(([{ records, lz4 }, d, fixLast]) =>
        batch("record count mismatch", lz4, {
          records,
          recordCount: records.length + d,
          // Either keep lastOffsetDelta in step with the count (so only the records disagree) or not.
          lastOffsetDelta: fixLast ? records.length + d - 1 : records.length - 1,
        }),
      ),
    fc
      .tuple(base, fc.uint8Array({ minLength: 1, maxLength: 20 }))
      .map(([{ records, lz4 }, trailing]) => batch("trailing bytes", lz4, { records, trailing })),
    fc
      .tuple(
        validRecordsArb,
        fc.oneof(fc.constant(undefined), fc.uint8Array({ minLength: 0, maxLength: 40 })),
      )
      .map(
        ([records, garbage]): CorruptBatch => ({
          kind: "not lz4",
          // The lz4 flag on the plain records, or on bytes that are no frame at all.
          bytes:
            garbage === undefined
              ? rawBatch({ records, codec: 3, compress: false })
              : rawBatch({
                  records: [],
                  codec: 3,
                  compress: false,
                  trailing: garbage,
                  recordCount: records.length,
                }),
        }),
      ),
    fc.tuple(validRecordsArb, fc.constantFrom(1, 2, 4, 5, 6, 7)).map(([records, codec]) => ({
      kind: "unsupported codec" as const,
      bytes: rawBatch({ records, codec, compress: false }),
    })),
  ];
  return fc.oneof(...kinds);
}

/** The length a length-prefixed field declares (its payload follows). */
function lengthOf(field: Uint8Array): number {
  let zz = 0;
  let shift = 0;
  for (const b of field) {
    zz |= (b & 0x7f) << shift;
    shift += 7;
    if (b < 0x80) break;
  }
  return (zz >>> 1) ^ -(zz & 1);
}

function payloadOf(field: Uint8Array): Uint8Array {
  let i = 0;
  while (field[i]! >= 0x80) i++;
  return field.subarray(i + 1);
}
