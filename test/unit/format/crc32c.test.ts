import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { crc32c } from "../../../client/src/format/index.js";
import { kafkajsCrc32c } from "./kafkajs-peer.js";

describe("crc32c", () => {
  it("matches the CRC-32C check value and the RFC 3720 (iSCSI) test vectors", () => {
    // Prepare
    const ascending = Uint8Array.from({ length: 32 }, (_, i) => i);
    const descending = Uint8Array.from({ length: 32 }, (_, i) => 31 - i);
    const cases: [Uint8Array, number][] = [
      [new TextEncoder().encode("123456789"), 0xe3069283],
      [new Uint8Array(32), 0x8a9136aa],
      [new Uint8Array(32).fill(0xff), 0x62a8ab43],
      [ascending, 0x46dd794e],
      [descending, 0x113fdb5c],
      [new Uint8Array(0), 0],
    ];

    // Act
    const actual = cases.map(([data]) => crc32c(data));

    // Assess
    expect(actual).toEqual(cases.map(([, crc]) => crc));
  });

  it("agrees with kafkajs's CRC-32C on arbitrary data of every length mod 8", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (data) => {
        expect(crc32c(data)).toBe(kafkajsCrc32c(Buffer.from(data)));
      }),
      { numRuns: 300 },
    );
  });

  it("computes a sub-range exactly like the CRC of that slice", () => {
    fc.assert(
      fc.property(
        fc
          .uint8Array({ maxLength: 100 })
          .chain((data) => fc.tuple(fc.constant(data), fc.nat(data.length), fc.nat(data.length))),
        ([data, a, b]) => {
          const [start, end] = a <= b ? [a, b] : [b, a];
          expect(crc32c(data, start, end)).toBe(crc32c(data.slice(start, end)));
        },
      ),
    );
  });

  it("rejects ranges outside the data", () => {
    const data = new Uint8Array(8);
    expect(() => crc32c(data, 0, 9)).toThrow(RangeError);
    expect(() => crc32c(data, 5, 4)).toThrow(RangeError);
    expect(() => crc32c(data, -1)).toThrow(RangeError);
  });
});
