/**
 * Turning input lines into records for `floe produce`:
 *
 *   lines:  value = the line; with --key-separator SEP, key = text before the first SEP and
 *           value = the rest (a line without SEP has no key)
 *   ndjson: each line must be a JSON value, stored as its text; with --key-field F, the key is
 *           the object's field F (strings as they are, other values as JSON)
 *
 * Empty lines are skipped (a trailing newline is not a record).
 */
import type { ProducerRecord } from "../sdk/records.js";

export type InputFormat = "lines" | "ndjson";

export interface LineOptions {
  format: InputFormat;
  keySeparator?: string | undefined;
  keyField?: string | undefined;
  headers?: Record<string, string> | undefined;
  partition?: number | undefined;
  /** kcat's -Z: an empty value becomes null (a tombstone), an empty key a null key. */
  nulls?: boolean | undefined;
}

/** A line that cannot become a record (bad JSON in NDJSON input). */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InputError";
  }
}

function keyFromField(value: unknown, field: string): string | null {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return null;
  const key = (value as Record<string, unknown>)[field];
  if (key === undefined || key === null) return null;
  return typeof key === "string" ? key : JSON.stringify(key);
}

/**
 * The record for one input line, or undefined for a blank line. `lineNumber` is for messages.
 *
 * @example
 * recordFromLine("user-1\thello", 1, { format: "lines", keySeparator: "\t" }); // { key: "user-1", value: "hello" }
 */
export function recordFromLine(
  line: string,
  lineNumber: number,
  options: LineOptions,
): ProducerRecord | undefined {
  if (line.trim() === "") return undefined;
  let key: string | null = null;
  let value: string | null = line;
  if (options.format === "ndjson") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch (error) {
      throw new InputError(
        `line ${lineNumber} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    value = line.trim();
    if (options.keyField !== undefined) key = keyFromField(parsed, options.keyField);
  } else if (options.keySeparator !== undefined && options.keySeparator !== "") {
    const at = line.indexOf(options.keySeparator);
    if (at >= 0) {
      key = line.slice(0, at);
      value = line.slice(at + options.keySeparator.length);
    }
  }
  if (options.nulls) {
    if (key === "") key = null;
    if (value === "") value = null;
  }
  return {
    key,
    value,
    ...(options.headers && Object.keys(options.headers).length > 0 ? { headers: options.headers } : {}),
    ...(options.partition !== undefined ? { partition: options.partition } : {}),
  };
}

/** Unescapes the separators people type on a command line: `\t`, `\n`, `\\`. */
export function unescapeSeparator(text: string): string {
  return text.replace(/\\([tn\\])/g, (_, c: string) => (c === "t" ? "\t" : c === "n" ? "\n" : "\\"));
}
