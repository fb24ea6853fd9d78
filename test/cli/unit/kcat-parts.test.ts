/** The pure parts behind kcat's habits: `-o` forms, negative flag values, format strings. */
import { describe, expect, it } from "vitest";
import { joinNegativeValues, parse } from "../../../client/src/cli/args.js";
import { offsetSpec } from "../../../client/src/cli/commands/consume.js";
import { UsageError } from "../../../client/src/cli/exit-codes.js";
import { compileFormat } from "../../../client/src/cli/record-format.js";
import type { ConsumerRecord } from "../../../client/src/index.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const record: ConsumerRecord = {
  topic: "t",
  partition: 2,
  offset: 7,
  timestamp: 1000,
  key: null,
  value: bytes("v"),
  headers: [{ key: "a", value: bytes("1") }],
} as ConsumerRecord;

describe("offsetSpec", () => {
  it("reads beginning, end, N, -N and s@T like kcat -o", () => {
    // Act / Assess
    expect(offsetSpec("beginning")).toBe("earliest");
    expect(offsetSpec("end")).toBe("latest");
    expect(offsetSpec("12")).toEqual({ offset: 12 });
    expect(offsetSpec("-3")).toEqual({ tail: 3 });
    expect(offsetSpec("s@1700000000000")).toEqual({ timestamp: 1_700_000_000_000 });
    expect(offsetSpec("s@1970-01-01T00:00:01Z")).toEqual({ timestamp: 1000 });
    expect(() => offsetSpec("soon")).toThrow(UsageError);
  });
});

describe("joinNegativeValues", () => {
  it("gives a negative number to the flag before it, long or short, and leaves the rest", () => {
    // Prepare
    const options = { offset: { type: "string" as const, short: "o" }, follow: { type: "boolean" as const } };
    // Act / Assess
    expect(joinNegativeValues(["--offset", "-1"], options)).toEqual(["--offset=-1"]);
    expect(joinNegativeValues(["-o", "-5", "-f"], options)).toEqual(["--offset=-5", "-f"]);
    expect(joinNegativeValues(["--follow", "-1"], options)).toEqual(["--follow", "-1"]);
    expect(parse(["t", "-o", "-2"], { offset: { type: "string", short: "o", help: "" } }).values.offset).toBe(
      "-2",
    );
  });
});

describe("compileFormat", () => {
  it("expands every field and escape, and prints null as nothing or NULL with -Z", () => {
    // Act
    const plain = compileFormat("%t %p %o %T [%k] %s %K %S %h %%\\t\\n", { nulls: false })(record);
    const nulls = compileFormat("%k", { nulls: true })(record);
    // Assess
    const text = plain.map((p) => (typeof p === "string" ? p : new TextDecoder().decode(p))).join("");
    expect(text).toBe("t 2 7 1000 [] v -1 1 a=1 %\t\n");
    expect(new TextDecoder().decode(nulls[0] as Uint8Array)).toBe("NULL");
    expect(() => compileFormat("%q", { nulls: false })).toThrow(/unknown field %q/);
  });
});
