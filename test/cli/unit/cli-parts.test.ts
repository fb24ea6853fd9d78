/** The CLI's pure parts: input lines to records, the progress line, flags, exit codes. */
import { describe, expect, it } from "vitest";
import { hoistGlobalFlags, parse } from "../../../client/src/cli/args.js";
import { EXIT, errorLine, exitCodeOf, UsageError } from "../../../client/src/cli/exit-codes.js";
import { InputError, recordFromLine, unescapeSeparator } from "../../../client/src/cli/input.js";
import { table } from "../../../client/src/cli/output.js";
import {
  PROGRESS_DELAY_MS,
  ProgressBar,
  progressDelayMs,
  renderProgress,
} from "../../../client/src/cli/progress.js";
import { ERROR_TABLE, type ErrorCode, FloeError } from "../../../client/src/errors.js";

describe("recordFromLine", () => {
  it("splits key and value at the first separator and keeps the rest of the value", () => {
    // Act
    const r = recordFromLine("k1:a:b", 1, { format: "lines", keySeparator: ":" });
    const noSep = recordFromLine("plain", 2, { format: "lines", keySeparator: ":" });
    // Assess
    expect(r).toEqual({ key: "k1", value: "a:b" });
    expect(noSep).toEqual({ key: null, value: "plain" });
  });

  it("takes an NDJSON key from a field, as text or JSON, and keeps the line as the value", () => {
    // Act
    const str = recordFromLine(' {"id":"a","n":1} ', 1, { format: "ndjson", keyField: "id" });
    const num = recordFromLine('{"id":7}', 2, { format: "ndjson", keyField: "id" });
    const missing = recordFromLine('{"x":1}', 3, { format: "ndjson", keyField: "id" });
    // Assess
    expect(str).toEqual({ key: "a", value: '{"id":"a","n":1}' });
    expect(num?.key).toBe("7");
    expect(missing?.key).toBeNull();
  });

  it("skips blank lines and rejects bad JSON naming the line", () => {
    // Act / Assess
    expect(recordFromLine("   ", 1, { format: "lines" })).toBeUndefined();
    expect(() => recordFromLine("{", 42, { format: "ndjson" })).toThrow(InputError);
    expect(() => recordFromLine("{", 42, { format: "ndjson" })).toThrow(/line 42/);
  });

  it("adds headers and a fixed partition", () => {
    // Act
    const r = recordFromLine("v", 1, { format: "lines", headers: { a: "1" }, partition: 2 });
    // Assess
    expect(r).toEqual({ key: null, value: "v", headers: { a: "1" }, partition: 2 });
    expect(unescapeSeparator("\\t|\\n|\\\\")).toBe("\t|\n|\\");
  });
});

describe("progress", () => {
  it("renders rates, and a bar with a percentage when the size is known", () => {
    // Act
    const known = renderProgress(
      { records: 5000, bytes: 5_000_000, totalBytes: 10_000_000, elapsedMs: 2000 },
      100,
    );
    const unknown = renderProgress(
      { records: 300, bytes: 3000, totalBytes: undefined, elapsedMs: 1000 },
      100,
    );
    // Assess
    expect(known).toMatch(/^\[#{10,20}-+\] {2}50% {2}5,000 rec {2}2,500 rec\/s {2}2\.5 MB\/s$/);
    expect(unknown).toBe("300 rec  300 rec/s  3.0 kB/s");
    expect(
      renderProgress({ records: 1, bytes: 1, totalBytes: 2, elapsedMs: 1 }, 30).length,
    ).toBeLessThanOrEqual(30);
  });

  it("takes its delay from FLOE_PROGRESS_DELAY_MS, and with 0 draws on the first update", () => {
    // Prepare
    const out: string[] = [];
    const bar = new ProgressBar({ isTTY: true, columns: 80, write: (t) => out.push(t) > 0 }, 100, {
      now: () => 0,
      showAfterMs: progressDelayMs({ FLOE_PROGRESS_DELAY_MS: "0" }),
    });
    // Act
    bar.update(1, 10);
    // Assess
    expect(out).toHaveLength(1);
    expect(progressDelayMs({})).toBe(PROGRESS_DELAY_MS);
    expect(() => progressDelayMs({ FLOE_PROGRESS_DELAY_MS: "soon" })).toThrow(/FLOE_PROGRESS_DELAY_MS/);
  });

  it("draws only on a TTY, only after the delay, and erases itself", () => {
    // Prepare
    let now = 0;
    const writes = (tty: boolean) => {
      const out: string[] = [];
      const bar = new ProgressBar({ isTTY: tty, columns: 80, write: (t) => out.push(t) > 0 }, 100, {
        now: () => now,
        showAfterMs: 500,
        intervalMs: 100,
      });
      return { out, bar };
    };
    const tty = writes(true);
    const pipe = writes(false);
    // Act
    now = 100;
    tty.bar.update(1, 10);
    pipe.bar.update(1, 10);
    const beforeDelay = tty.out.length;
    now = 600;
    tty.bar.update(1, 10);
    pipe.bar.update(1, 10);
    tty.bar.finish();
    pipe.bar.finish();
    // Assess
    expect(beforeDelay).toBe(0);
    expect(tty.out[0]).toContain(" 20%");
    expect(tty.out.at(-1)).toBe("\r\x1b[2K");
    expect(pipe.out).toEqual([]);
  });
});

describe("flags and exit codes", () => {
  it("parses flags and rejects unknown ones as usage errors", () => {
    // Act
    const parsed = parse(["orders", "-p", "3", "--config", "a=1", "--config", "b=2", "--json"], {
      partitions: { type: "string", short: "p", help: "" },
      config: { type: "string", multiple: true, help: "" },
    });
    // Assess
    expect(parsed.positionals).toEqual(["orders"]);
    expect(parsed.values).toMatchObject({ partitions: "3", config: ["a=1", "b=2"], json: true });
    expect(() => parse(["--nope"], {})).toThrow(UsageError);
  });

  it("maps every error code to a documented exit code", () => {
    // Act
    const codes = Object.keys(ERROR_TABLE).map((c) => exitCodeOf(new FloeError(c as ErrorCode, "m")));
    // Assess
    const documented = new Set<number>(Object.values(EXIT));
    for (const code of codes) expect(documented.has(code)).toBe(true);
    expect(exitCodeOf(new FloeError("topic_not_found", "x"))).toBe(EXIT.notFound);
    expect(exitCodeOf(new FloeError("unavailable", "x"))).toBe(EXIT.unavailable);
    expect(exitCodeOf(new UsageError("x"))).toBe(EXIT.usage);
    expect(exitCodeOf(new Error("x"))).toBe(EXIT.failure);
  });

  it("prints errors as one line with their code", () => {
    // Act / Assess
    expect(errorLine(new FloeError("topic_not_found", "topic x does not exist"))).toBe(
      "floe: topic_not_found: topic x does not exist",
    );
    expect(errorLine(new Error("two\n  lines"))).toBe("floe: error: two lines");
  });

  it("aligns tables, numbers to the right", () => {
    // Act
    const out = table(
      ["NAME", "N"],
      [
        ["a", "5"],
        ["long-name", "123"],
      ],
    );
    // Assess
    expect(out).toBe("NAME         N\na            5\nlong-name  123\n");
  });
});

describe("hoistGlobalFlags", () => {
  it("moves global flags written before the command after it, values included", () => {
    expect(hoistGlobalFlags(["--url", "http://h:1", "--json", "topics", "list"])).toEqual([
      "topics",
      "list",
      "--url",
      "http://h:1",
      "--json",
    ]);
    expect(hoistGlobalFlags(["--token=t", "consume", "orders", "--follow"])).toEqual([
      "consume",
      "orders",
      "--follow",
      "--token=t",
    ]);
    expect(hoistGlobalFlags(["--help"])).toEqual(["--help"]);
    expect(hoistGlobalFlags(["produce", "--url", "x"])).toEqual(["produce", "--url", "x"]);
  });
});
