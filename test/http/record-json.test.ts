/** The JSON <-> bytes codec of records, per Floe-Format (property tests on the pure functions). */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FloeError } from "../../client/src/errors.js";
import type { DecodedRecord } from "../../client/src/format/index.js";
import { representationOf } from "../../functions/src/http/fetch-core.js";
import { JSON_DEPTH_MAX, recordFromJson, recordToJson } from "../../functions/src/http/record-json.js";
import type { RecordFormat } from "../../functions/src/http/schemas.js";

const NOW = 1_700_000_000_000;

function stored(json: Parameters<typeof recordFromJson>[0], format: RecordFormat): DecodedRecord {
  return { ...recordFromJson(json, format, 0, NOW), offset: 7 };
}

function failure(run: () => unknown): FloeError {
  try {
    run();
  } catch (error) {
    if (error instanceof FloeError) return error;
    throw error;
  }
  throw new Error("expected a FloeError");
}

describe("record JSON codec", () => {
  it("round-trips any bytes through base64, with or without padding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, padded) => {
        // Prepare
        let text = Buffer.from(bytes).toString("base64");
        if (!padded) text = text.replace(/=+$/, "");
        // Act
        const record = stored({ key: text, value: text, headers: [{ name: "h", value: text }] }, "base64");
        const back = recordToJson(record, "base64");
        // Assess
        expect(Buffer.from(record.value!)).toEqual(Buffer.from(bytes));
        expect(back.value).toBe(Buffer.from(bytes).toString("base64"));
        expect(back.key).toBe(back.value);
        expect(back.headers[0]?.value).toBe(back.value);
      }),
    );
  });

  it("round-trips well-formed strings as utf8", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "grapheme" }),
        fc.option(fc.string({ unit: "grapheme" })),
        (value, key) => {
          // Act
          const back = recordToJson(stored({ key, value }, "utf8"), "utf8");
          // Assess
          expect(back).toMatchObject({ key, value, offset: 7, timestamp: NOW });
        },
      ),
    );
  });

  it("stores JSON values as their JSON text and parses them back", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // Act
        const record = stored({ value }, "json");
        const back = recordToJson(record, "json");
        // Assess
        expect(back.value).toEqual(JSON.parse(JSON.stringify(value)));
        if (value !== null) expect(Buffer.from(record.value!).toString("utf8")).toBe(JSON.stringify(value));
      }),
    );
  });

  it("refuses what it cannot store or show faithfully, naming the field or offset", () => {
    // Prepare
    const notUtf8: DecodedRecord = {
      key: null,
      value: new Uint8Array([0xc3, 0x28]),
      headers: [],
      timestamp: 1,
      offset: 42,
    };
    const notJson: DecodedRecord = {
      key: null,
      value: Buffer.from("{oops"),
      headers: [],
      timestamp: 1,
      offset: 43,
    };
    // Act
    const badBase64 = failure(() => recordFromJson({ value: "a=b=" }, "base64", 3, NOW));
    const loneSurrogate = failure(() => recordFromJson({ key: "\ud800" }, "utf8", 0, NOW));
    const numberValue = failure(() => recordFromJson({ value: 5 }, "utf8", 1, NOW));
    const showUtf8 = failure(() => recordToJson(notUtf8, "utf8"));
    const showJson = failure(() => recordToJson(notJson, "json"));
    // Assess
    expect(badBase64.details.field).toBe("records[3].value");
    expect(loneSurrogate.details.field).toBe("records[0].key");
    expect(numberValue.details.field).toBe("records[1].value");
    expect(showUtf8.details.offset).toBe(42);
    expect(showUtf8.message).toContain("base64");
    expect(showJson.details.offset).toBe(43);
    for (const e of [badBase64, loneSurrogate, numberValue, showUtf8, showJson])
      expect(e.code).toBe("invalid_request");
  });
});

describe("JSON value depth", () => {
  it("stores and shows values nested up to the limit and refuses deeper ones, naming the field or offset", () => {
    // Prepare
    const nested = (levels: number): unknown => JSON.parse(`${"[".repeat(levels)}${"]".repeat(levels)}`);
    const tooDeepStored: DecodedRecord = {
      key: null,
      value: Buffer.from(JSON.stringify(nested(JSON_DEPTH_MAX + 1))),
      headers: [],
      timestamp: 1,
      offset: 9,
    };
    // Act
    const atLimit = recordToJson(stored({ value: nested(JSON_DEPTH_MAX) }, "json"), "json");
    const produced = failure(() => recordFromJson({ value: nested(JSON_DEPTH_MAX + 1) }, "json", 2, NOW));
    const shown = failure(() => recordToJson(tooDeepStored, "json"));
    // Assess
    expect(atLimit.value).toEqual(nested(JSON_DEPTH_MAX));
    expect(produced.details).toMatchObject({ field: "records[2].value", limit_depth: JSON_DEPTH_MAX });
    expect(shown.details).toMatchObject({ offset: 9, limit_depth: JSON_DEPTH_MAX });
  });
});

describe("fetch representation", () => {
  it("follows Accept: event stream, then binary batches, else JSON", () => {
    expect(representationOf(undefined)).toBe("json");
    expect(representationOf("application/json")).toBe("json");
    expect(representationOf("*/*")).toBe("json");
    expect(representationOf("application/vnd.floe.batch")).toBe("batch");
    expect(representationOf("application/json;q=0.5, Application/Vnd.Floe.Batch")).toBe("batch");
    expect(representationOf("text/event-stream")).toBe("sse");
  });
});
