import { createRequire } from "node:module";
import fc from "fast-check";
import * as lz4js from "lz4js";
import { hash as xxh32 } from "lz4js/xxh32.js";
import { afterEach, describe, expect, it } from "vitest";
import {
  FormatError,
  type Lz4Backend,
  lz4Backend,
  lz4Compress,
  lz4Decompress,
  lz4NativeAvailable,
  setLz4Backend,
} from "../../../client/src/format/index.js";
import { lz4ContentBytes, parseLz4Frame } from "../../../client/src/format/lz4-frame.js";

const lz4napi = createRequire(import.meta.url)("lz4-napi") as {
  compressFrameSync(data: Buffer, options?: { contentChecksum?: boolean; blockChecksums?: boolean }): Buffer;
};

const BACKENDS: Lz4Backend[] = ["native", "js"];

function withBackend<T>(backend: Lz4Backend, fn: () => T): T {
  setLz4Backend(backend);
  try {
    return fn();
  } finally {
    setLz4Backend("auto");
  }
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

/** Data LZ4 can shrink (repeats at several distances) mixed with incompressible runs. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 24 }), fc.integer({ min: 1, max: 60 })), {
      maxLength: 12,
    })
    .map((parts) =>
      Uint8Array.from(
        parts.flatMap(([chunk, times]) => Array.from({ length: times }, () => [...chunk]).flat()),
      ),
    ),
);

/** Deterministic pseudo-random bytes (xorshift) with repeated stretches, `size` long. */
function mixedBytes(size: number, seed = 7): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = (i >> 10) % 3 === 0 ? x & 0xff : i % 251;
  }
  return out;
}

/** Rewrites a frame descriptor to declare `contentSize`, with a correct header checksum. */
function withContentSize(frame: Uint8Array, contentSize: number): Uint8Array {
  const descriptorEnd = 6; // our frames: magic, FLG, BD, then HC at 6
  const out = new Uint8Array(frame.length + 8);
  out.set(frame.subarray(0, descriptorEnd));
  out[4] = frame[4]! | 0x08;
  const view = new DataView(out.buffer);
  view.setUint32(6, contentSize % 2 ** 32, true);
  view.setUint32(10, Math.floor(contentSize / 2 ** 32), true);
  out[14] = (xxh32(0, out, 4, 10) >>> 8) & 0xff;
  out.set(frame.subarray(descriptorEnd + 1), 15);
  return out;
}

afterEach(() => setLz4Backend("auto"));

describe("lz4 backends", () => {
  it("loads the native backend here and lets tests force the JS one", () => {
    // The server depends on native speed: a silent fallback in this environment is a failure.
    expect(lz4NativeAvailable()).toBe(true);
    expect(lz4Backend()).toBe("native");

    setLz4Backend("js");
    expect(lz4Backend()).toBe("js");

    setLz4Backend("auto");
    expect(lz4Backend()).toBe("native");
  });

  it.each(BACKENDS)("round-trips arbitrary data with the %s backend", (backend) => {
    fc.assert(
      fc.property(payload, (data) => {
        withBackend(backend, () => {
          const frame = lz4Compress(data);
          expect(Buffer.from(lz4Decompress(frame, data.length)).equals(Buffer.from(data))).toBe(true);
          if (data.length > 0)
            expect(reasonOf(() => lz4Decompress(frame, data.length - 1))).toBe("too-large");
        });
      }),
      { numRuns: 150 },
    );
  });

  it("reads every backend's frames with every other decoder, lz4js's own frames included", () => {
    fc.assert(
      fc.property(payload, (data) => {
        // Prepare
        const frames = [
          withBackend("native", () => lz4Compress(data)),
          withBackend("js", () => lz4Compress(data)),
          lz4js.compress(data),
        ];

        for (const frame of frames) {
          // Act
          const outputs = BACKENDS.map((b) => withBackend(b, () => lz4Decompress(frame, data.length)));
          outputs.push(lz4js.decompress(frame));

          // Assess
          for (const out of outputs)
            expect(Buffer.from(out).toString("hex")).toBe(Buffer.from(data).toString("hex"));
        }
      }),
      { numRuns: 120 },
    );
  });

  it.each([0, 1, 65519, 65520, 65521, 65536, 200_000])(
    "interoperates at block boundaries (%i bytes)",
    (size) => {
      // Prepare
      const data = mixedBytes(size);

      for (const writer of BACKENDS) {
        // Act
        const frame = withBackend(writer, () => lz4Compress(data));
        for (const reader of BACKENDS) {
          const out = withBackend(reader, () => lz4Decompress(frame, size));

          // Assess
          expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
        }
      }
    },
  );

  it("writes JS frames with the same descriptor as lz4_flex and blocks Java's decoder accepts", () => {
    // Prepare
    const data = mixedBytes(300_000);

    // Act
    const js = withBackend("js", () => lz4Compress(data));
    // lz4_flex picks 64 KiB blocks for small inputs (larger ones get 4 MiB), so compare those.
    const nativeSmall = withBackend("native", () => lz4Compress(data.subarray(0, 1000)));
    const frame = parseLz4Frame(js);
    const blockSizes: number[] = [];
    lz4ContentBytes(js, frame, data.length, blockSizes);

    // Assess: 64 KiB independent blocks, each at least 16 bytes short of the max (see lz4.ts).
    expect(Buffer.from(js.subarray(0, 7)).toString("hex")).toBe(
      Buffer.from(nativeSmall.subarray(0, 7)).toString("hex"),
    );
    expect(frame.blockIndependent).toBe(true);
    expect(blockSizes.length).toBeGreaterThan(4);
    expect(Math.max(...blockSizes)).toBeLessThanOrEqual(65536 - 16);
  });

  it("decodes lz4js's linked 4 MiB blocks whose matches reach into the previous block", () => {
    // Prepare: a 4.25 MiB input with a pattern that repeats across the 4 MiB block boundary.
    const data = new Uint8Array(4 * 1024 * 1024 + 256 * 1024);
    const pattern = mixedBytes(40_000, 99);
    for (let i = 0; i < data.length; i++) data[i] = pattern[i % pattern.length]!;
    const frame = lz4js.compress(data);

    for (const backend of BACKENDS) {
      // Act
      const out = withBackend(backend, () => lz4Decompress(frame, data.length));

      // Assess
      expect(Buffer.from(out).equals(Buffer.from(data))).toBe(true);
    }
  });

  it.each(BACKENDS)("verifies block and content checksums when a frame carries them (%s)", (backend) => {
    // Prepare
    const data = mixedBytes(100_000);
    const frame = new Uint8Array(
      lz4napi.compressFrameSync(Buffer.from(data), { contentChecksum: true, blockChecksums: true }),
    );
    const badContent = frame.slice();
    badContent[badContent.length - 1]! ^= 0x01;
    const badBlock = frame.slice();
    const firstBlock = parseLz4Frame(frame).blocks[0]!;
    badBlock[firstBlock.checksumPos]! ^= 0x01;

    // Act / Assess
    withBackend(backend, () => {
      expect(Buffer.from(lz4Decompress(frame, data.length)).equals(Buffer.from(data))).toBe(true);
      expect(reasonOf(() => lz4Decompress(badContent, data.length))).toBe("malformed");
      expect(reasonOf(() => lz4Decompress(badBlock, data.length))).toBe("malformed");
    });
  });
});

describe("lz4 malformed input", () => {
  it.each(BACKENDS)("stops a decompression bomb before producing it (%s)", (backend) => {
    // Prepare: 16 MiB of zeros compress to a few KiB.
    const bomb = withBackend("native", () => lz4Compress(new Uint8Array(16 * 1024 * 1024)));
    expect(bomb.length).toBeLessThan(100_000);

    // Act / Assess
    withBackend(backend, () => {
      expect(reasonOf(() => lz4Decompress(bomb, 1024 * 1024))).toBe("too-large");
      expect(
        reasonOf(() => lz4Decompress(lz4js.compress(new Uint8Array(5 * 1024 * 1024)), 1024 * 1024)),
      ).toBe("too-large");
    });
  });

  it.each(BACKENDS)("trusts no declared content size (%s)", (backend) => {
    // Prepare
    const data = mixedBytes(5000);
    const frame = withBackend(backend, () => lz4Compress(data));
    const huge = withContentSize(frame, 2 ** 40);
    const wrong = withContentSize(frame, data.length - 1);
    const right = withContentSize(frame, data.length);

    // Act / Assess
    withBackend(backend, () => {
      expect(reasonOf(() => lz4Decompress(huge, 1 << 20))).toBe("too-large");
      expect(reasonOf(() => lz4Decompress(wrong, 1 << 20))).toBe("malformed");
      expect(lz4Decompress(right, 1 << 20).length).toBe(data.length);
    });
  });

  it.each(BACKENDS)("rejects every truncation and trailing bytes (%s)", (backend) => {
    // Prepare
    const data = mixedBytes(3000);
    const frame = withBackend(backend, () => lz4Compress(data));
    const trailing = Uint8Array.from([...frame, 0]);

    // Act / Assess
    withBackend(backend, () => {
      for (let cut = 0; cut < frame.length; cut++) {
        expect(reasonOf(() => lz4Decompress(frame.subarray(0, cut), data.length))).not.toBe("no error");
      }
      expect(reasonOf(() => lz4Decompress(trailing, data.length))).toBe("malformed");
    });
  });

  it.each(BACKENDS)("throws nothing but FormatError on garbage and on mutated frames (%s)", (backend) => {
    const base = withBackend("native", () => lz4Compress(mixedBytes(2000)));
    const mutated = fc
      .array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 1, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      })
      .map((flips) => {
        const copy = base.slice();
        for (const [at, mask] of flips) copy[at]! ^= mask;
        return copy;
      });
    const garbage = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      // A valid header followed by random blocks reaches the sequence scanner.
      fc.uint8Array({ maxLength: 64 }).map((tail) => Uint8Array.from([...base.subarray(0, 7), ...tail])),
      mutated,
    );
    fc.assert(
      fc.property(garbage, (data) => {
        withBackend(backend, () => {
          try {
            const out = lz4Decompress(data, 4096);
            expect(out.length).toBeLessThanOrEqual(4096);
          } catch (err) {
            expect(err).toBeInstanceOf(FormatError);
          }
        });
      }),
      { numRuns: 400 },
    );
  });

  it("rejects a nonsensical output limit as a programming error", () => {
    expect(() => lz4Decompress(lz4Compress(new Uint8Array(1)), -1)).toThrow(RangeError);
  });
});
