import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  BATCH_HEADER_BYTES,
  type BatchInput,
  crc32c,
  decodeRecordBatches,
  encodeRecordBatch,
  FormatError,
  type Lz4Backend,
  patchBaseOffset,
  readBatchHeader,
  setLz4Backend,
  splitBatches,
} from "../../../client/src/format/index.js";
import { batchArb, expectedRecords, normalized } from "./arbitraries.js";

const utf8 = (s: string) => new TextEncoder().encode(s);
const CRC_AT = 17;
const ATTRIBUTES_AT = 21;

function simpleBatch(n = 3, extra: Partial<BatchInput> = {}): BatchInput {
  return {
    records: Array.from({ length: n }, (_, i) => ({
      key: utf8(`k${i}`),
      value: utf8(`value number ${i} `.repeat(4)),
      headers: [{ key: "i", value: utf8(String(i)) }],
      timestamp: 1_700_000_000_000 + i,
    })),
    ...extra,
  };
}

/** Recomputes the CRC after a test edits CRC-covered bytes on purpose. */
function fixCrc(batch: Uint8Array, pos = 0): void {
  const size = new DataView(batch.buffer, batch.byteOffset).getInt32(pos + 8) + 12;
  new DataView(batch.buffer, batch.byteOffset).setUint32(
    pos + CRC_AT,
    crc32c(batch, pos + ATTRIBUTES_AT, pos + size),
  );
}

function setAttributes(batch: Uint8Array, attributes: number): void {
  new DataView(batch.buffer, batch.byteOffset).setInt16(ATTRIBUTES_AT, attributes);
  fixCrc(batch);
}

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof FormatError) return err.reason;
    throw err;
  }
  return "no error";
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

afterEach(() => setLz4Backend("auto"));

describe("encodeRecordBatch / decodeRecordBatches", () => {
  it.each<Lz4Backend>(["native", "js"])("round-trips generated batches (lz4 backend: %s)", (backend) => {
    setLz4Backend(backend);
    fc.assert(
      fc.property(batchArb(), (input) => {
        // Act
        const bytes = encodeRecordBatch(input);
        const [batch, ...rest] = decodeRecordBatches(bytes);

        // Assess
        expect(rest).toHaveLength(0);
        expect(normalized(batch!.records)).toEqual(expectedRecords(input));
        expect(batch!.sizeBytes).toBe(bytes.length);
        expect(batch!.header.compression).toBe(input.compression);
      }),
      { numRuns: 120 },
    );
  });

  it("fills the header as the Java producer does", () => {
    // Prepare: the first record is not the earliest, and not the latest either.
    const input = simpleBatch(3);
    input.records[0]!.timestamp = 5000;
    input.records[1]!.timestamp = 1000;
    input.records[2]!.timestamp = 9000;

    // Act
    const bytes = encodeRecordBatch(input);
    const header = readBatchHeader(bytes, 0);

    // Assess
    expect(header).toEqual({
      baseOffset: 0,
      batchLength: bytes.length - 12,
      partitionLeaderEpoch: -1,
      magic: 2,
      crc: crc32c(bytes, ATTRIBUTES_AT),
      attributes: 0,
      compression: "none",
      lastOffsetDelta: 2,
      firstTimestamp: 5000,
      maxTimestamp: 9000,
      producerId: -1,
      producerEpoch: -1,
      baseSequence: -1,
      recordCount: 3,
      isTransactional: false,
      isControl: false,
      timestampType: "create",
    });
    expect(decodeRecordBatches(bytes)[0]!.records.map((r) => r.timestamp)).toEqual([5000, 1000, 9000]);
  });

  it("writes codec 3 and a single LZ4 frame for lz4 batches", () => {
    // Act
    const bytes = encodeRecordBatch(simpleBatch(50, { compression: "lz4" }));

    // Assess: the records section starts with the LZ4 frame magic (little-endian 0x184D2204).
    expect(readBatchHeader(bytes, 0).attributes & 0x07).toBe(3);
    expect(Buffer.from(bytes.subarray(BATCH_HEADER_BYTES, BATCH_HEADER_BYTES + 4)).toString("hex")).toBe(
      "04224d18",
    );
    expect(bytes.length).toBeLessThan(encodeRecordBatch(simpleBatch(50)).length);
  });

  it("keeps sparse offset deltas and the original span, as compaction writes them", () => {
    // Act
    const bytes = encodeRecordBatch(
      simpleBatch(3, { baseOffset: 100, offsetDeltas: [0, 4, 5], lastOffsetDelta: 9 }),
    );
    const [batch] = decodeRecordBatches(bytes);

    // Assess
    expect(batch!.records.map((r) => r.offset)).toEqual([100, 104, 105]);
    expect(batch!.header.lastOffsetDelta).toBe(9);
  });

  it("rejects inputs Kafka cannot represent", () => {
    const cases: [string, BatchInput][] = [
      ["empty", { records: [] }],
      ["decreasing deltas", simpleBatch(2, { offsetDeltas: [1, 1] })],
      ["wrong delta count", simpleBatch(2, { offsetDeltas: [0] })],
      ["lastOffsetDelta too small", simpleBatch(2, { lastOffsetDelta: 0 })],
      ["epoch beyond int16", simpleBatch(1, { producerEpoch: 40000 })],
      ["negative base offset", simpleBatch(1, { baseOffset: -5 })],
      ["unsafe timestamp", { records: [{ key: null, value: null, headers: [], timestamp: 2 ** 60 }] }],
      ["NaN timestamp", { records: [{ key: null, value: null, headers: [], timestamp: Number.NaN }] }],
    ];
    for (const [name, input] of cases)
      expect([name, reasonOf(() => encodeRecordBatch(input))]).toEqual([name, "invalid"]);
  });

  it("decodes concatenated batches of both compressions in order", () => {
    // Prepare
    const a = encodeRecordBatch(simpleBatch(2, { baseOffset: 0 }));
    const b = encodeRecordBatch(simpleBatch(3, { baseOffset: 2, compression: "lz4" }));
    const c = encodeRecordBatch(simpleBatch(1, { baseOffset: 5 }));

    // Act
    const batches = decodeRecordBatches(concat([a, b, c]));

    // Assess
    expect(batches.flatMap((x) => x.records.map((r) => r.offset))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(batches.map((x) => x.sizeBytes)).toEqual([a.length, b.length, c.length]);
  });

  it("caps decompressed bytes over the whole call", () => {
    // Prepare: two lz4 batches of ~100 KB of records each, compressing to far less.
    const big = (base: number) =>
      encodeRecordBatch({
        baseOffset: base,
        compression: "lz4",
        records: Array.from({ length: 100 }, (_, i) => ({
          key: null,
          value: new Uint8Array(1000).fill(i),
          headers: [],
          timestamp: i,
        })),
      });
    const one = big(0);
    const two = concat([one, big(100)]);
    const oneSize = 100 * (1000 + 11);

    // Act / Assess
    expect(decodeRecordBatches(one, { maxUncompressedBytes: oneSize + 100 })[0]!.records).toHaveLength(100);
    expect(reasonOf(() => decodeRecordBatches(one, { maxUncompressedBytes: 50_000 }))).toBe("too-large");
    expect(reasonOf(() => decodeRecordBatches(two, { maxUncompressedBytes: oneSize + 100 }))).toBe(
      "too-large",
    );
  });
});

describe("header attributes Floe reads but never writes", () => {
  it("reports transactional and control batches", () => {
    // Prepare
    const bytes = encodeRecordBatch(simpleBatch(1));
    setAttributes(bytes, 0x10 | 0x20);

    // Act
    const [batch] = decodeRecordBatches(bytes);

    // Assess
    expect(batch!.header.isTransactional).toBe(true);
    expect(batch!.header.isControl).toBe(true);
    expect(batch!.records).toHaveLength(1);
  });

  it("gives every record the batch's maxTimestamp under LogAppendTime", () => {
    // Prepare
    const bytes = encodeRecordBatch(simpleBatch(3));
    setAttributes(bytes, 0x08);

    // Act
    const [batch] = decodeRecordBatches(bytes);

    // Assess
    expect(batch!.header.timestampType).toBe("log-append");
    expect(batch!.records.map((r) => r.timestamp)).toEqual([
      1_700_000_000_002, 1_700_000_000_002, 1_700_000_000_002,
    ]);
  });

  it("reads every Kafka codec id and refuses unknown ones; records that do not decompress are malformed", () => {
    const bytes = encodeRecordBatch(simpleBatch(1));
    for (const codec of [1, 2, 4]) {
      setAttributes(bytes, codec);
      expect(readBatchHeader(bytes, 0).compression).toBe(["none", "gzip", "snappy", "lz4", "zstd"][codec]);
      // Plain records are not a gzip, snappy or zstd stream.
      expect(reasonOf(() => decodeRecordBatches(bytes))).toMatch(/malformed|truncated/);
    }
    for (const codec of [5, 6, 7]) {
      setAttributes(bytes, codec);
      expect(reasonOf(() => readBatchHeader(bytes, 0))).toBe("malformed");
    }
  });

  it("decodes an empty batch left by compaction, with or without a frame", () => {
    // Prepare: a header-only batch claiming codec lz4 and zero records.
    const bytes = encodeRecordBatch(simpleBatch(1)).slice(0, BATCH_HEADER_BYTES);
    const view = new DataView(bytes.buffer);
    view.setInt32(8, BATCH_HEADER_BYTES - 12);
    view.setInt32(57, 0);
    setAttributes(bytes, 3);

    // Act
    const [batch] = decodeRecordBatches(bytes);

    // Assess
    expect(batch!.records).toEqual([]);
    expect(batch!.header.recordCount).toBe(0);
  });
});

describe("patchBaseOffset", () => {
  it("assigns offsets in place without breaking any CRC", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 ** 52 }), { minLength: 1, maxLength: 4 }), (bases) => {
        // Prepare: stored batches carry baseOffset 0.
        const parts = bases.map((_, i) =>
          encodeRecordBatch(simpleBatch(i + 1, { compression: i % 2 ? "lz4" : "none" })),
        );
        const buf = concat(parts);
        const before = buf.slice();
        const positions = splitBatches(buf).map((b) => b.pos);

        // Act
        positions.forEach((pos, i) => {
          patchBaseOffset(buf, pos, bases[i]!);
        });

        // Assess
        const decoded = decodeRecordBatches(buf);
        expect(decoded.map((b) => b.records[0]!.offset)).toEqual(bases);
        for (let i = 0; i < buf.length; i++) {
          if (!positions.some((p) => i >= p && i < p + 8)) expect(buf[i]).toBe(before[i]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it("rejects positions and offsets that do not fit", () => {
    const buf = encodeRecordBatch(simpleBatch(1));
    expect(() => patchBaseOffset(buf, buf.length - 7, 1)).toThrow(RangeError);
    expect(reasonOf(() => patchBaseOffset(buf, 0, -1))).toBe("invalid");
    expect(reasonOf(() => patchBaseOffset(buf, 0, 2 ** 53))).toBe("invalid");
  });
});

describe("splitBatches", () => {
  it("finds each batch's position and header without decoding records", () => {
    // Prepare
    const parts = [
      simpleBatch(2),
      simpleBatch(7, { compression: "lz4" }),
      simpleBatch(1, { producerId: 9 }),
    ].map(encodeRecordBatch);

    // Act
    const split = splitBatches(concat(parts));

    // Assess
    expect(split.map((s) => s.pos)).toEqual([0, parts[0]!.length, parts[0]!.length + parts[1]!.length]);
    expect(split.map((s) => s.sizeBytes)).toEqual(parts.map((p) => p.length));
    expect(split.map((s) => s.header.recordCount)).toEqual([2, 7, 1]);
    expect(split[2]!.header.producerId).toBe(9);
    expect(splitBatches(new Uint8Array(0))).toEqual([]);
  });

  it("checks CRCs unless told not to", () => {
    // Prepare
    const bytes = encodeRecordBatch(simpleBatch(2));
    bytes[bytes.length - 1]! ^= 0xff;

    // Act / Assess
    expect(reasonOf(() => splitBatches(bytes))).toBe("crc");
    expect(splitBatches(bytes, { verifyCrc: false })).toHaveLength(1);
  });
});

describe("corrupt input", () => {
  // baseOffset (0..7) and partitionLeaderEpoch (12..15) are outside the CRC, as in Kafka.
  it("reports any flipped CRC-covered byte as a CRC failure", () => {
    fc.assert(
      fc.property(
        batchArb({ maxRecords: 4 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (input, at, mask) => {
          // Prepare
          const bytes = encodeRecordBatch(input);
          const i = at % bytes.length;
          bytes[i]! ^= mask;

          // Act
          const reason = reasonOf(() => decodeRecordBatches(bytes));

          // Assess
          // A baseOffset flip is no corruption Kafka could detect; it only fails beyond 2^53.
          if (i < 8) expect(["no error", "unsupported"]).toContain(reason);
          else if (i >= 12 && i < 16) expect(reason).toBe("no error");
          else if (i === 16) expect(reason).toBe("magic");
          else if (i >= CRC_AT) expect(reason).toBe("crc");
          else expect(reason).not.toBe("no error"); // batchLength: truncated, or a CRC over the wrong range
        },
      ),
      { numRuns: 300 },
    );
  });

  it("reports every truncation as truncated", () => {
    // Prepare
    const whole = concat([
      encodeRecordBatch(simpleBatch(3)),
      encodeRecordBatch(simpleBatch(2, { compression: "lz4" })),
    ]);
    const firstEnd = splitBatches(whole)[1]!.pos;

    // Act / Assess
    for (let cut = 1; cut < whole.length; cut++) {
      if (cut === firstEnd) continue; // a whole first batch is a valid buffer
      expect([cut, reasonOf(() => decodeRecordBatches(whole.subarray(0, cut)))]).toEqual([cut, "truncated"]);
    }
  });

  it("throws nothing but FormatError on garbage, even with a valid CRC over garbage records", () => {
    const base = encodeRecordBatch(simpleBatch(3));
    const lz4Base = encodeRecordBatch(simpleBatch(3, { compression: "lz4" }));
    const withValidCrc = fc
      .tuple(
        fc.constantFrom(base, lz4Base),
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: -2, max: 10 }),
      )
      .map(([template, body, count]) => {
        const bytes = new Uint8Array(BATCH_HEADER_BYTES + body.length);
        bytes.set(template.subarray(0, BATCH_HEADER_BYTES));
        bytes.set(body, BATCH_HEADER_BYTES);
        const view = new DataView(bytes.buffer);
        view.setInt32(8, bytes.length - 12);
        view.setInt32(57, count);
        fixCrc(bytes);
        return bytes;
      });
    const mutatedWithValidCrc = fc
      .tuple(
        fc.constantFrom(base, lz4Base),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
      )
      .map(([template, flips]) => {
        const bytes = template.slice();
        for (const [at, mask] of flips) bytes[ATTRIBUTES_AT + (at % (bytes.length - ATTRIBUTES_AT))]! ^= mask;
        fixCrc(bytes);
        return bytes;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), withValidCrc, mutatedWithValidCrc), (bytes) => {
        for (const backend of ["native", "js"] as const) {
          setLz4Backend(backend);
          try {
            decodeRecordBatches(bytes, { maxUncompressedBytes: 1 << 16 });
            splitBatches(bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(FormatError);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it("rejects a record count the bytes cannot hold before doing any work", () => {
    // Prepare
    const bytes = encodeRecordBatch(simpleBatch(2));
    new DataView(bytes.buffer).setInt32(57, 1_000_000);
    fixCrc(bytes);

    // Act / Assess
    expect(reasonOf(() => readBatchHeader(bytes, 0))).toBe("malformed");
  });

  it("rejects a record count that disagrees with the records", () => {
    // Prepare: 3 records claimed as 2 (bytes left over), and as 4 (bytes missing).
    const fewer = encodeRecordBatch(simpleBatch(3));
    new DataView(fewer.buffer).setInt32(57, 2);
    fixCrc(fewer);
    const more = encodeRecordBatch(simpleBatch(3, { lastOffsetDelta: 5 }));
    new DataView(more.buffer).setInt32(57, 4);
    fixCrc(more);

    // Act / Assess
    expect(reasonOf(() => decodeRecordBatches(fewer))).toBe("malformed");
    expect(["truncated", "malformed"]).toContain(reasonOf(() => decodeRecordBatches(more)));
  });

  it("reports the magic byte of a legacy message set", () => {
    const bytes = encodeRecordBatch(simpleBatch(1));
    bytes[16] = 1;
    expect(reasonOf(() => decodeRecordBatches(bytes))).toBe("magic");
  });
});
