/** Where the CLI writes, and how: aligned tables for people, one JSON document for programs. */
import type { Readable, Writable } from "node:stream";
import type { FloeClient } from "../sdk/client.js";

export interface Io {
  stdin: Readable;
  stdout: Writable & { isTTY?: boolean };
  stderr: Writable & { isTTY?: boolean; columns?: number };
  env: Record<string, string | undefined>;
}

/** What every command receives. */
export interface Context {
  client: FloeClient;
  io: Io;
  /** `--json`: one JSON document (or NDJSON for streams) on stdout. */
  json: boolean;
  /** Aborted on SIGINT: commands stop cleanly (flush, commit) and return. */
  signal: AbortSignal;
  /** The agent's URL (for messages). */
  url: string;
}

/**
 * Writes text, waiting when the pipe is full (so `floe consume | slow-program` does not buffer
 * the whole topic in memory).
 *
 * @example
 * await write(io.stdout, "hello\n");
 */
export function write(stream: Writable, text: string | Uint8Array): Promise<void> {
  if (stream.write(text)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      stream.off("drain", done);
      stream.off("error", done);
      if (error) reject(error);
      else resolve();
    };
    stream.once("drain", done);
    stream.once("error", done);
  });
}

/** Prints `value` as JSON on one line. */
export function writeJson(io: Io, value: unknown): Promise<void> {
  return write(io.stdout, `${JSON.stringify(value)}\n`);
}

/**
 * An aligned table with a header row (numbers right-aligned).
 *
 * @example
 * table(["TOPIC", "PARTITIONS"], [["orders", "3"]]);
 */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = headers.map(
    (_, i) => rows.length > 0 && rows.every((r) => /^-?[\d,.]+$|^-$/.test(r[i] ?? "")),
  );
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

/** 1234567 -> "1.2 MB" (decimal units, as throughput is usually quoted). */
export function formatBytes(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

/** 1234567 -> "1,234,567". */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
