import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32c } from "../../../client/src/format/crc32c.js";
import {
  decodeSegmentFooter,
  encodeSegment,
  newSegmentKey,
  SegmentFormatError,
} from "../../../functions/src/engine/segment-format.js";

describe("segment objects", () => {
  it("round-trips chunks for many partitions and records where each piece landed", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            partition: fc.nat(1000),
            pieces: fc.array(fc.uint8Array({ minLength: 1, maxLength: 64 }), { minLength: 1, maxLength: 4 }),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.string({ maxLength: 20 }),
        (chunks, writerId) => {
          // Prepare
          const inputs = chunks.map((c, i) => ({
            topicId: `topic-${i}`,
            partition: c.partition,
            pieces: c.pieces,
            recordCount: c.pieces.length,
            batchCount: c.pieces.length,
          }));
          // Act
          const segment = encodeSegment(inputs, writerId, 1234);
          const footer = decodeSegmentFooter(segment.bytes);
          // Assess
          expect(footer.writerId).toBe(writerId);
          expect(footer.createdAtMs).toBe(1234);
          inputs.forEach((input, i) => {
            const placed = segment.chunks[i]!;
            input.pieces.forEach((piece, k) => {
              expect(
                segment.bytes.subarray(placed.piecePositions[k]!, placed.piecePositions[k]! + piece.length),
              ).toEqual(piece);
            });
            expect(footer.chunks[i]).toMatchObject({
              topicId: input.topicId,
              partition: input.partition,
              pos: placed.pos,
              len: placed.len,
            });
            expect(footer.chunks[i]!.crc).toBe(crc32c(segment.bytes, placed.pos, placed.pos + placed.len));
          });
        },
      ),
    );
  });

  it("rejects a corrupted footer", () => {
    const segment = encodeSegment(
      [{ topicId: "a", partition: 0, pieces: [new Uint8Array([1, 2, 3])], recordCount: 1, batchCount: 1 }],
      "w",
      0,
    );
    const corrupt = segment.bytes.slice();
    corrupt[corrupt.length - 14]! ^= 0xff;
    expect(() => decodeSegmentFooter(corrupt)).toThrow(SegmentFormatError);
  });

  it("spreads keys over random prefixes and never repeats them", () => {
    const keys = new Set(
      Array.from({ length: 100 }, (_, i) =>
        newSegmentKey(
          1_700_000_000_000,
          (i * 7919).toString(16).padStart(32, "0").split("").reverse().join(""),
        ),
      ),
    );
    expect(keys.size).toBe(100);
    expect(new Set([...keys].map((k) => k.slice(0, 4))).size).toBeGreaterThan(10);
  });
});
