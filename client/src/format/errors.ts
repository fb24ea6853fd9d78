/**
 * Why bytes (or an encoder input) were rejected. Callers branch on it: a server answers
 * `invalid` / `malformed` / `crc` / `magic` / `unsupported` with 400, `too-large` with 413, and a
 * reader that meets `truncated` at the end of a ranged GET knows it fetched too few bytes.
 */
export type FormatErrorReason =
  | "truncated"
  | "magic"
  | "crc"
  | "malformed"
  | "unsupported"
  | "too-large"
  | "invalid";

/**
 * Every failure of the format code is a FormatError, never a RangeError or TypeError from deep
 * inside a decoder: malformed input must be distinguishable from a bug.
 * (Kept independent of `FloeError` on purpose: the format is a pure library; the HTTP layer maps
 * a FormatError to `invalid_request` / `record_too_large` at its boundary.)
 */
export class FormatError extends Error {
  readonly reason: FormatErrorReason;
  /** Byte position in the input where the problem was found, when it is known. */
  readonly position: number | undefined;

  constructor(reason: FormatErrorReason, message: string, position?: number) {
    super(position === undefined ? message : `${message} (at byte ${position})`);
    this.name = "FormatError";
    this.reason = reason;
    this.position = position;
  }
}
