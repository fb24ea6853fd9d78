import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { murmur2, partitionForKey, toPositive } from "../../../client/src/format/index.js";
import { kafkajsDefaultPartitioner, kafkajsMurmur2 } from "./kafkajs-peer.js";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("murmur2", () => {
  it("reproduces the Java client's test vectors (Kafka UtilsTest.testMurmur2)", () => {
    // Prepare
    const vectors: [string, number][] = [
      ["21", -973932308],
      ["foobar", -790332482],
      ["a-little-bit-long-string", -985981536],
      ["a-little-bit-longer-string", -1486304829],
      ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
      ["abc", 479470107],
    ];

    // Act
    const hashes = vectors.map(([key]) => murmur2(utf8(key)));

    // Assess
    expect(hashes).toEqual(vectors.map(([, hash]) => hash));
  });

  it("agrees with kafkajs's murmur2 on arbitrary keys (every length mod 4)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (key) => {
        expect(murmur2(key)).toBe(kafkajsMurmur2(Buffer.from(key)));
      }),
      { numRuns: 400 },
    );
  });
});

describe("partitionForKey", () => {
  it("picks the same partition as kafkajs's DefaultPartitioner", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.string({ maxLength: 30 }).map(utf8)),
        fc.oneof(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 5000 })),
        (key, partitions) => {
          // Prepare
          const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
            partitionId,
            leader: 0,
          }));
          const kafkajs = kafkajsDefaultPartitioner();

          // Act
          const ours = partitionForKey(key, partitions);
          const theirs = kafkajs({ topic: "t", partitionMetadata, message: { key: Buffer.from(key) } });

          // Assess
          expect(ours).toBe(theirs);
          expect(ours).toBeGreaterThanOrEqual(0);
          expect(ours).toBeLessThan(partitions);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("clears the sign bit rather than taking an absolute value", () => {
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(12345)).toBe(12345);
  });

  it("rejects a partition count that is not a positive integer", () => {
    const key = utf8("k");
    expect(() => partitionForKey(key, 0)).toThrow(RangeError);
    expect(() => partitionForKey(key, 1.5)).toThrow(RangeError);
  });
});
