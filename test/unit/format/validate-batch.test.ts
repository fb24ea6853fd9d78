/**
 * Deep validation of produced batches (validate-batch.ts): every corruption of the records
 * section behind a correct CRC is refused, naming the batch and record, by the module and by the
 * engine's `appendFromBatches`; valid batches (ours, kafkajs's) pass; and anything the validator
 * accepts decodes, so no accepted batch can make a later read fail.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FloeError } from "../../../client/src/errors.js";
import {
  crc32c,
  decodeRecordBatches,
  encodeRecordBatch,
  FormatError,
  splitBatches,
  validateBatches,
  validateBatchRecords,
} from "../../../client/src/format/index.js";
import { appendFromBatches } from "../../../functions/src/engine/batch-validation.js";
import type { TopicMeta } from "../../../functions/src/engine/model.js";
import { batchArb, expectedRecords, normalized } from "./arbitraries.js";
import {
  type CorruptionKind,
  corruptBatchArb,
  lengthPrefixed,
  rawBatch,
  validRecordsArb,
  varint,
} from "./corrupt-batch.js";
import { kafkajsEncodeBatch } from "./kafkajs-peer.js";

const topic = {
  name: "t",
  partitions: 1,
  config: { "max.message.bytes": 1_000_000 },
} as unknown as TopicMeta;

function formatErrorOf(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (error) {
    if (error instanceof FormatError) return error;
    throw error;
  }
  throw new Error("expected a FormatError, nothing was thrown");
}

/** Recomputes the CRC after a test changed CRC-covered bytes. */
function fixCrc(batch: Uint8Array): Uint8Array {
  new DataView(batch.buffer, batch.byteOffset).setUint32(17, crc32c(batch, 21, batch.length));
  return batch;
}

const denseBatchArb = batchArb({ maxRecords: 8 }).map((input) => {
  const { offsetDeltas: _d, lastOffsetDelta: _l, ...dense } = input;
  return dense;
});

describe("validateBatches", () => {
  it("refuses every corruption of the records behind a correct CRC, naming batch and record", () => {
    const seen = new Set<CorruptionKind>();
    fc.assert(
      fc.property(corruptBatchArb(), ({ kind, bytes }) => {
        seen.add(kind);
        // Prepare: the cheap check (header + CRC) is fooled, which is the point (a codec and a
        // count the records cannot fit in are header matters it already catches).
        if (kind !== "unsupported codec" && kind !== "record count mismatch")
          expect(() => splitBatches(bytes)).not.toThrow();
        // Act
        const error = formatErrorOf(() => validateBatches(bytes));
        // Assess
        expect(error.message, kind).toMatch(/^batch 0 \(at byte 0\)/);
        expect(error.reason).not.toBe("too-large");
        const floe = (() => {
          try {
            appendFromBatches(topic, 0, bytes);
          } catch (e) {
            return e;
          }
          return undefined;
        })();
        expect(floe, kind).toBeInstanceOf(FloeError);
        expect((floe as FloeError).code).toBe("invalid_request");
      }),
      { numRuns: 600 },
    );
    expect(seen.size).toBe(11);
  });

  it("names the record and what is wrong", () => {
    fc.assert(
      fc.property(validRecordsArb, (records) => {
        const i = records.length - 1;
        const bad = records.map((r, j) => (j === i ? { ...r, key: varint(-7) } : r));
        const error = formatErrorOf(() => validateBatches(rawBatch({ records: bad, codec: 0 })));
        expect(error.message).toContain(`batch 0 (at byte 0), record ${i}: key length -7`);
      }),
    );
    const records = [
      {
        attributes: new Uint8Array([0]),
        timestampDelta: varint(0),
        offsetDelta: varint(0),
        key: lengthPrefixed(null),
        value: lengthPrefixed(new Uint8Array([1])),
        headerCount: varint(0),
        headers: new Uint8Array(0),
      },
    ];
    const good = rawBatch({ records, codec: 0 });
    const skipped = rawBatch({ records: [{ ...records[0]!, offsetDelta: varint(1) }], codec: 3 });
    const body = new Uint8Array([...good, ...skipped]);
    expect(formatErrorOf(() => validateBatches(body)).message).toBe(
      `batch 1 (at byte ${good.length}), record 0: offset delta 1, expected 0 (produced offsets are dense)`,
    );
  });

  it("accepts every dense batch we encode and returns its layout", () => {
    fc.assert(
      fc.property(fc.array(denseBatchArb, { minLength: 1, maxLength: 3 }), (inputs) => {
        const parts = inputs.map((input) => encodeRecordBatch(input));
        const body = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
        let at = 0;
        for (const p of parts) {
          body.set(p, at);
          at += p.length;
        }
        const validated = validateBatches(body);
        expect(validated.map((b) => b.pos)).toEqual(splitBatches(body).map((b) => b.pos));
        expect(validated.map((b) => b.header.recordCount)).toEqual(inputs.map((i) => i.records.length));
        expect(validateBatchRecords(body, validated.at(-1)!.pos).sizeBytes).toBe(parts.at(-1)!.length);
      }),
      { numRuns: 200 },
    );
  });

  it("accepts dense batches encoded by kafkajs, both codecs", async () => {
    await fc.assert(
      fc.asyncProperty(
        denseBatchArb.filter((i) => i.records.every((r) => r.headers.length === 0)),
        async (input) => {
          const bytes = await kafkajsEncodeBatch(input);
          const [validated] = validateBatches(bytes);
          expect(validated!.header.compression).toBe(input.compression);
          expect(normalized(decodeRecordBatches(bytes)[0]!.records)).toEqual(expectedRecords(input));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("refuses the sparse deltas compaction writes: produced offsets are dense", () => {
    const bytes = encodeRecordBatch({
      records: [1, 2].map((t) => ({ key: null, value: null, headers: [], timestamp: t })),
      offsetDeltas: [0, 2],
    });
    expect(() => decodeRecordBatches(bytes)).not.toThrow();
    expect(formatErrorOf(() => validateBatches(bytes)).message).toContain(
      "lastOffsetDelta 2 for 2 records (produced offsets are dense)",
    );
  });

  it("whatever it accepts decodes: random byte changes with the CRC recomputed", () => {
    fc.assert(
      fc.property(
        denseBatchArb,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 3 }),
        (input, flips) => {
          const bytes = encodeRecordBatch(input);
          for (const [at, flip] of flips) {
            const i = 61 + (at % Math.max(1, bytes.length - 61));
            if (i < bytes.length) bytes[i] = bytes[i]! ^ flip;
          }
          fixCrc(bytes);
          let accepted = true;
          try {
            validateBatches(bytes);
          } catch (error) {
            if (!(error instanceof FormatError)) throw error;
            accepted = false;
          }
          if (accepted) expect(() => decodeRecordBatches(bytes)).not.toThrow();
        },
      ),
      { numRuns: 500 },
    );
  });

  it("bounds decompression over the whole body", () => {
    const big = encodeRecordBatch({
      records: [{ key: null, value: new Uint8Array(100_000), headers: [], timestamp: 1 }],
      compression: "lz4",
    });
    expect(() => validateBatches(big, { maxUncompressedBytes: 100_100 })).not.toThrow();
    const two = new Uint8Array([...big, ...big]);
    const error = formatErrorOf(() => validateBatches(two, { maxUncompressedBytes: 150_000 }));
    expect(error.reason).toBe("too-large");
    expect(error.message).toContain(`batch 1 (at byte ${big.length}): records decompress beyond`);
  });
});
