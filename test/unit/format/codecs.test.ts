/**
 * Decompression of gzip, snappy and zstd record sections, each from an encoder we did not write
 * (node:zlib for gzip, snappyjs's compressor for snappy; zstd frames come end to end from
 * librdkafka in test/kafka/kcat.test.ts), and each bounded while it runs.
 */
import { gzipSync } from "node:zlib";
import { compress as snappyCompress } from "snappyjs/index.js";
import { describe, expect, it } from "vitest";
import { gunzip, unsnappy, unzstd } from "../../../client/src/format/codecs.js";
import { FormatError } from "../../../client/src/format/index.js";

const text = new TextEncoder().encode("floe ".repeat(1000));

function xerial(blocks: Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [
    Uint8Array.of(0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0, 0, 0, 0, 1, 0, 0, 0, 1),
  ];
  for (const b of blocks) {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setInt32(0, b.byteLength);
    parts.push(len, b);
  }
  return Buffer.concat(parts);
}

describe("record-section codecs", () => {
  it("gunzips what node:zlib wrote, and refuses more than the bound", () => {
    expect(Buffer.from(gunzip(gzipSync(text), 1 << 20)).equals(Buffer.from(text))).toBe(true);
    const bomb = gzipSync(new Uint8Array(4 << 20));
    expect(() => gunzip(bomb, 1 << 20)).toThrow(expect.objectContaining({ reason: "too-large" }));
    expect(() => gunzip(Uint8Array.of(1, 2, 3, 4), 1 << 20)).toThrow(FormatError);
  });

  it("unsnappies raw blocks and xerial frames (Java's and librdkafka's framing)", () => {
    const block = snappyCompress(new Uint8Array(text)) as Uint8Array;
    expect(Buffer.from(unsnappy(block, 1 << 20)).equals(Buffer.from(text))).toBe(true);
    const framed = unsnappy(xerial([block, block]), 1 << 20);
    expect(framed.byteLength).toBe(text.byteLength * 2);
    expect(() => unsnappy(xerial([block, block]), text.byteLength + 1)).toThrow(
      expect.objectContaining({ reason: "too-large" }),
    );
    expect(() => unsnappy(xerial([block]).subarray(0, 30), 1 << 20)).toThrow(FormatError);
  });

  it("refuses data that is not zstd", () => {
    expect(() => unzstd(Uint8Array.of(1, 2, 3, 4, 5), 1 << 20)).toThrow(FormatError);
  });
});
