/** fast-check generators and comparison helpers shared by the format tests. */

import fc from "fast-check";
import type {
  BatchInput,
  DecodedRecord,
  RecordHeader,
  RecordInput,
} from "../../../client/src/format/index.js";

const bytes = fc.uint8Array({ maxLength: 48 });
const nullableBytes = fc.option(bytes, { nil: null, freq: 4 });

export const headerArb: fc.Arbitrary<RecordHeader> = fc.record({
  key: fc.oneof(fc.string({ maxLength: 8 }), fc.string({ unit: "grapheme", maxLength: 6 })),
  value: nullableBytes,
});

/** Records around a base time, so deltas from the first record go both ways. */
export function recordsArb(options: { maxLength?: number; headers?: fc.Arbitrary<RecordHeader[]> } = {}) {
  const headers = options.headers ?? fc.array(headerArb, { maxLength: 4 });
  return fc
    .tuple(
      fc.integer({ min: 0, max: 2 ** 42 }),
      fc.array(
        fc.record({
          key: nullableBytes,
          value: fc.oneof(nullableBytes, fc.uint8Array({ minLength: 100, maxLength: 600 })),
          headers,
          skew: fc.oneof(
            fc.integer({ min: -1000, max: 1000 }),
            fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
          ),
        }),
        { minLength: 1, maxLength: options.maxLength ?? 12 },
      ),
    )
    .map(([base, rs]): RecordInput[] =>
      rs.map(({ key, value, headers: h, skew }) => ({ key, value, headers: h, timestamp: base + skew })),
    );
}

/** Batches with optional producer fields, sparse offset deltas and either compression. */
export function batchArb(options: { maxRecords?: number; headers?: fc.Arbitrary<RecordHeader[]> } = {}) {
  return fc
    .record({
      records: recordsArb({
        maxLength: options.maxRecords ?? 12,
        ...(options.headers ? { headers: options.headers } : {}),
      }),
      compression: fc.constantFrom("none" as const, "lz4" as const),
      baseOffset: fc.oneof(fc.constant(0), fc.nat(), fc.integer({ min: 0, max: 2 ** 50 })),
      producer: fc.option(
        fc.record({
          producerId: fc.integer({ min: 0, max: 2 ** 50 }),
          producerEpoch: fc.integer({ min: 0, max: 0x7fff }),
          baseSequence: fc.integer({ min: 0, max: 0x7fffffff - 1000 }),
        }),
        { nil: undefined },
      ),
      partitionLeaderEpoch: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
      gaps: fc.option(fc.array(fc.nat(3), { minLength: 12, maxLength: 12 }), { nil: undefined }),
      extraSpan: fc.nat(5),
    })
    .map(
      ({ records, compression, baseOffset, producer, partitionLeaderEpoch, gaps, extraSpan }): BatchInput => {
        const input: BatchInput = { records, compression, baseOffset, ...producer };
        if (partitionLeaderEpoch !== undefined) input.partitionLeaderEpoch = partitionLeaderEpoch;
        if (gaps !== undefined) {
          // Compaction's shape: increasing deltas with holes, and a lastOffsetDelta past the last one.
          let next = 0;
          input.offsetDeltas = records.map((_, i) => {
            const d = next + (gaps[i] ?? 0);
            next = d + 1;
            return d;
          });
          input.lastOffsetDelta = next - 1 + extraSpan;
        }
        return input;
      },
    );
}

export const hex = (data: Uint8Array | null): string | null =>
  data === null ? null : Buffer.from(data).toString("hex");

/** What a decoded record should look like, from the encoder's input. */
export function expectedRecords(input: BatchInput): object[] {
  const base = input.baseOffset ?? 0;
  return input.records.map((r, i) => ({
    offset: base + (input.offsetDeltas?.[i] ?? i),
    timestamp: r.timestamp,
    key: hex(r.key),
    value: hex(r.value),
    headers: r.headers.map((h) => ({ key: utf8RoundTrip(h.key), value: hex(h.value) })),
  }));
}

/** Header keys travel as UTF-8: lone surrogates come back as U+FFFD. */
function utf8RoundTrip(s: string): string {
  return new TextDecoder().decode(new TextEncoder().encode(s));
}

export function normalized(records: DecodedRecord[]): object[] {
  return records.map((r) => ({
    offset: r.offset,
    timestamp: r.timestamp,
    key: hex(r.key),
    value: hex(r.value),
    headers: r.headers.map((h) => ({ key: h.key, value: hex(h.value) })),
  }));
}
