/** How the console classifies and prints record bytes, and the lag chart's geometry (pure code). */
import { describe, expect, it } from "vitest";
import { linePoints } from "../../console/src/chart.js";
import { base64Of, HEX_BYTES_SHOWN, hexOf, showBytes } from "../../console/src/values.js";
import { parseHeaders } from "../../console/src/views/topic.js";

const bytes = (s: string) => new TextEncoder().encode(s);

describe("showBytes", () => {
  it("pretty-prints JSON, keeps text as text, null as null", () => {
    expect(showBytes(bytes('{"a":1,"b":[2]}'))).toEqual({
      kind: "json",
      text: '{\n  "a": 1,\n  "b": [\n    2\n  ]\n}',
    });
    expect(showBytes(bytes("{not json"))).toEqual({ kind: "text", text: "{not json" });
    expect(showBytes(bytes("<script>x</script>\n\ttab"))).toEqual({
      kind: "text",
      text: "<script>x</script>\n\ttab",
    });
    expect(showBytes(null)).toEqual({ kind: "null" });
    expect(showBytes(new Uint8Array())).toEqual({ kind: "text", text: "" });
  });

  it("shows invalid UTF-8 and control characters as hex and base64", () => {
    expect(showBytes(new Uint8Array([0xc3, 0x28]))).toEqual({
      kind: "binary",
      hex: "c3 28",
      base64: "wyg=",
      bytes: 2,
    });
    expect(showBytes(bytes("a\u0000b")).kind).toBe("binary");
    const long = new Uint8Array(HEX_BYTES_SHOWN + 10).fill(0xff);
    const shown = showBytes(long);
    expect(shown.kind === "binary" && shown.hex.split(" ").length).toBe(HEX_BYTES_SHOWN);
    expect(shown.kind === "binary" && shown.base64).toBe(Buffer.from(long).toString("base64"));
  });

  it("base64 matches Node's for sizes across its chunking", () => {
    for (const n of [0, 1, 2, 3, 0x8000, 0x8001])
      expect(base64Of(new Uint8Array(n).fill(7))).toBe(Buffer.alloc(n, 7).toString("base64"));
    expect(hexOf(new Uint8Array([0, 15, 255]))).toBe("00 0f ff");
  });
});

describe("console helpers", () => {
  it("parses produce headers one per line", () => {
    expect(parseHeaders("a: 1\n\nb:two:2\r\nflag")).toEqual([
      { key: "a", value: "1" },
      { key: "b", value: "two:2" },
      { key: "flag", value: "" },
    ]);
  });

  it("draws the lag line from the bottom (0) to the top (peak)", () => {
    const points = linePoints([0, 5, 10], 120).split(" ");
    expect(points).toHaveLength(3);
    expect(points[0]).toBe("4.0,116.0");
    expect(points[2]?.endsWith(",4.0")).toBe(true);
  });
});
