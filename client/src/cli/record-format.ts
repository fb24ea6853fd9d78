/**
 * kcat's output format strings (`kcat -f '%k\t%s\n'`), for `floe consume --format`:
 *
 *   %t topic   %p partition   %o offset   %T timestamp (ms)   %k key   %s value
 *   %K key size (-1 for null)   %S value size (-1 for null)   %h headers (name=value,...)   %% a %
 *   \n \r \t \\ escapes
 *
 * Keys and values are written as their stored bytes (no UTF-8 round trip, so binary survives);
 * a null key or value prints as nothing, or as `NULL` with -Z. As in kcat, nothing is added at
 * the end: put `\n` in the format.
 */
import type { ConsumerRecord } from "../sdk/records.js";
import { UsageError } from "./exit-codes.js";

/** What one record prints as: strings and byte arrays, written in order. */
export type RecordFormatter = (record: ConsumerRecord) => (string | Uint8Array)[];

type Part = string | ((r: ConsumerRecord) => string | Uint8Array);

const NULL_TEXT = new TextEncoder().encode("NULL");
const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();

/**
 * Compiles a format string once; the result runs per record.
 *
 * @example
 * compileFormat("%p:%o %k=%s\\n", { nulls: false })(record); // ["0", ":", "5", " ", <key>, "=", <value>, "\n"]
 */
export function compileFormat(format: string, options: { nulls: boolean }): RecordFormatter {
  const bytes = (b: Uint8Array | null) => (b === null ? (options.nulls ? NULL_TEXT : EMPTY) : b);
  // A Map: the keys come from the user's format string.
  const fields = new Map<string, (r: ConsumerRecord) => string | Uint8Array>(
    Object.entries({
      t: (r: ConsumerRecord) => r.topic,
      p: (r: ConsumerRecord) => String(r.partition),
      o: (r: ConsumerRecord) => String(r.offset),
      T: (r: ConsumerRecord) => String(r.timestamp),
      k: (r: ConsumerRecord) => bytes(r.key),
      s: (r: ConsumerRecord) => bytes(r.value),
      K: (r: ConsumerRecord) => String(r.key === null ? -1 : r.key.length),
      S: (r: ConsumerRecord) => String(r.value === null ? -1 : r.value.length),
      h: (r: ConsumerRecord) =>
        r.headers
          .map(
            (h) => `${h.key}=${h.value === null ? (options.nulls ? "NULL" : "") : decoder.decode(h.value)}`,
          )
          .join(","),
    }),
  );
  const parts: Part[] = [];
  let literal = "";
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    const next = format[i + 1];
    if (c === "\\" && next !== undefined && "nrt\\".includes(next)) {
      literal += next === "n" ? "\n" : next === "r" ? "\r" : next === "t" ? "\t" : "\\";
      i++;
    } else if (c === "%") {
      if (next === "%") literal += "%";
      else if (next !== undefined && fields.has(next)) {
        if (literal) parts.push(literal);
        literal = "";
        parts.push(fields.get(next)!);
      } else {
        throw new UsageError(`--format: unknown field %${next ?? ""}; use %t %p %o %T %k %s %K %S %h or %%`);
      }
      i++;
    } else literal += c;
  }
  if (literal) parts.push(literal);
  return (r) => parts.map((p) => (typeof p === "string" ? p : p(r)));
}
