import { runInNewContext } from "node:vm";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

/**
 * The format must work where lz4-napi cannot load (browsers, bundles without node_modules):
 * bundle it for the browser and run it in a bare V8 context with no `process`, no `require`
 * and no `Buffer`.
 */
describe("format bundled for a browser", () => {
  it("falls back to the JS LZ4 backend and round-trips an lz4 batch", async () => {
    // Prepare
    const bundle = await build({
      entryPoints: [new URL("../../../client/src/format/index.ts", import.meta.url).pathname],
      bundle: true,
      platform: "browser",
      format: "iife",
      globalName: "floeFormat",
      write: false,
      logLevel: "silent",
    });
    const code = bundle.outputFiles[0]!.text;
    const context: Record<string, unknown> = { TextEncoder, TextDecoder };

    // Act
    const result = runInNewContext(
      `${code};
      const value = new TextEncoder().encode("browser ".repeat(50));
      const bytes = floeFormat.encodeRecordBatch({
        compression: "lz4",
        records: [{ key: null, value, headers: [], timestamp: 1 }],
      });
      const [batch] = floeFormat.decodeRecordBatches(bytes);
      ({
        backend: floeFormat.lz4Backend(),
        codec: bytes[22] & 7,
        smaller: bytes.length < value.length,
        same: new TextDecoder().decode(batch.records[0].value) === "browser ".repeat(50),
        hasProcess: typeof process !== "undefined",
      })`,
      context,
    ) as Record<string, unknown>;

    // Assess
    expect(result).toEqual({ backend: "js", codec: 3, smaller: true, same: true, hasProcess: false });
  });
});
