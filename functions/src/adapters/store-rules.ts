/**
 * Rules both adapter families enforce identically, so that code tested against the in-memory
 * stores cannot rely on something DynamoDB or S3 would refuse (or the reverse). Each rule names the
 * AWS behaviour it mirrors.
 */
import {
  type ItemData,
  ItemTooLargeError,
  type ManifestItem,
  type QueryOptions,
} from "../ports/manifest-store.js";
import type { ByteRange } from "../ports/object-store.js";

/** ListObjectsV2 returns at most 1000 keys per page. */
export const LIST_LIMIT_MAX = 1000;

/**
 * Deep-copies `data` while checking it is something a DynamoDB map round-trips exactly:
 * - strings must be well-formed UTF-16 (DynamoDB stores UTF-8; a lone surrogate would be mangled);
 * - numbers must be finite and within ±Number.MAX_SAFE_INTEGER (util-dynamodb refuses the rest
 *   without BigInt wrappers), and -0 becomes 0 (DynamoDB has no negative zero);
 * - `undefined` members are dropped, as marshall's `removeUndefinedValues` does;
 * - a Uint8Array is a DynamoDB binary (B) value, copied (util-dynamodb marshals it as B and
 *   unmarshalls it as a Uint8Array);
 * - anything else (Date, Buffer subclasses aside, Map, class instances, bigint, functions) is
 *   refused rather than silently converted, because it would not read back as the same value.
 */
export function copyItemData(data: ItemData): ItemData {
  const copy = copyValue(data, "data");
  if (copy === null || typeof copy !== "object" || Array.isArray(copy)) {
    throw new TypeError("item data must be a plain object");
  }
  return copy as ItemData;
}

function copyValue(value: unknown, path: string): unknown {
  if (value === null || typeof value === "boolean") return value;
  if (typeof value === "string") {
    if (!isWellFormed(value)) throw new TypeError(`${path}: string contains a lone surrogate`);
    return value;
  }
  if (typeof value === "number") {
    if (!Number.isFinite(value) || Math.abs(value) > Number.MAX_SAFE_INTEGER) {
      throw new TypeError(`${path}: number ${value} does not round-trip through DynamoDB`);
    }
    return value === 0 ? 0 : value;
  }
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    value.forEach((element: unknown, index) => {
      if (element !== undefined) out.push(copyValue(element, `${path}[${index}]`));
    });
    return out;
  }
  if (typeof value === "object" && isPlainObject(value)) {
    const out: { [key: string]: unknown } = {};
    for (const [key, member] of Object.entries(value)) {
      if (member !== undefined) out[key] = copyValue(member, `${path}.${key}`);
    }
    return out;
  }
  throw new TypeError(`${path}: ${describe(value)} is not JSON-compatible item data`);
}

// With the `u` flag a surrogate pair is one code point, so only lone surrogates match.
const LONE_SURROGATE = /\p{Surrogate}/u;

function isWellFormed(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describe(value: unknown): string {
  if (typeof value === "object" && value !== null) return value.constructor?.name ?? "object";
  return typeof value;
}

/**
 * Orders strings by their UTF-8 bytes, as DynamoDB sorts string sort keys and S3 sorts keys.
 * JavaScript's `<` compares UTF-16 code units, which disagrees for surrogate pairs versus
 * U+E000..U+FFFF; shifting those two ranges past each other restores code point (= UTF-8) order.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return shiftForCodePointOrder(x) - shiftForCodePointOrder(y);
  }
  return a.length - b.length;
}

function shiftForCodePointOrder(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit <= 0xdfff ? unit + 0x2000 : unit - 0x800;
}

/** DynamoDB's item size limit: 400 KB, where a KB is 1024 bytes (dynalite's MAX_SIZE is 409600 too). */
export const ITEM_BYTES_MAX = 400 * 1024;

/**
 * The size DynamoDB charges and limits an item by, for the layout both adapters store
 * (dynamo-manifest-store.ts: `pk` S, `sk` S, `v` N, `d` M, `ttl` N), from the developer guide's
 * "Item sizes and formats": the sum over attributes of the UTF-8 bytes of the name plus the value,
 * where a string is its UTF-8 bytes, a number its base-100 digits plus one (see numberBytes), a
 * boolean or null 1 byte, and a map or list 3 bytes plus 1 per element plus its elements (a map
 * member's name counts like an attribute name). The engine sizes items with this before writing
 * them (budgets), and both adapters refuse what it puts over ITEM_BYTES_MAX.
 */
export function itemSizeBytes(item: ManifestItem): number {
  let size = utf8Bytes("pk") + utf8Bytes(item.pk) + utf8Bytes("sk") + utf8Bytes(item.sk);
  size += utf8Bytes("v") + numberBytes(item.version);
  size += utf8Bytes("d") + valueBytes(item.data);
  if (item.expiresAt !== undefined) size += utf8Bytes("ttl") + numberBytes(item.expiresAt);
  return size;
}

/** Throws ItemTooLargeError (what DynamoDB's ValidationException becomes) past ITEM_BYTES_MAX. */
export function checkItemSize(item: ManifestItem): void {
  const size = itemSizeBytes(item);
  if (size > ITEM_BYTES_MAX) throw new ItemTooLargeError(item.pk, item.sk, size, ITEM_BYTES_MAX);
}

/** The DynamoDB size of one attribute value (without its name); undefined members are dropped. */
export function valueBytes(value: unknown): number {
  if (value === null || typeof value === "boolean") return 1;
  if (typeof value === "string") return utf8Bytes(value);
  if (typeof value === "number") return numberBytes(value);
  // A binary value counts its raw bytes (DynamoDB: "binary ... length in bytes").
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) {
    let size = 3;
    for (const element of value) if (element !== undefined) size += 1 + valueBytes(element);
    return size;
  }
  if (typeof value === "object") {
    let size = 3;
    for (const [name, member] of Object.entries(value)) {
      if (member !== undefined) size += 1 + utf8Bytes(name) + valueBytes(member);
    }
    return size;
  }
  throw new TypeError(`${typeof value} has no DynamoDB size`);
}

export function utf8Bytes(value: string): number {
  return Buffer.byteLength(value, "utf8");
}

/**
 * DynamoDB stores a number as base-100 digits aligned on the decimal point, plus one byte of
 * exponent and one more for a negative number: "1 byte per two significant digits + 1" in the
 * guide, exact here (dynalite computes the same). 0 is 1 byte; 12 is 2 (one digit pair), 1.2 is
 * 3 ("01" "20"), 123 is 3 ("01" "23").
 */
export function numberBytes(value: number): number {
  if (value === 0) return 1;
  // toExponential gives the shortest round-trip digits: "d.ddde±x".
  const [mantissa, exponentText] = Math.abs(value).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "").replace(/0+$/, "");
  const exponent = Number(exponentText);
  // The first digit sits at 10^exponent: with an odd exponent it opens a pair with the next one.
  const leadingPad = ((exponent % 2) + 2) % 2 === 1 ? 0 : 1;
  const pairs = Math.ceil((digits.length + leadingPad) / 2);
  return 1 + pairs + (value < 0 ? 1 : 0);
}

/** DynamoDB refuses empty key attributes and keys over 2048 (pk) / 1024 (sk) bytes. */
export function checkItemKey(pk: string, sk: string): void {
  checkKeyString(pk, "pk", 2048);
  checkKeyString(sk, "sk", 1024);
}

function checkKeyString(value: string, name: string, maxBytes: number): void {
  if (typeof value !== "string" || value.length === 0)
    throw new TypeError(`${name} must be a non-empty string`);
  if (!isWellFormed(value)) throw new TypeError(`${name} contains a lone surrogate`);
  if (Buffer.byteLength(value, "utf8") > maxBytes) throw new RangeError(`${name} is over ${maxBytes} bytes`);
}

export function checkSafeInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value)) throw new TypeError(`${name} must be a safe integer, got ${value}`);
}

/**
 * The combinations a DynamoDB key condition can express: `prefix` alone (begins_with), or gte
 * and/or lte (BETWEEN needs low <= high). Empty strings are refused as DynamoDB refuses them.
 */
export function checkQueryOptions(options: QueryOptions): void {
  const { gte, lte, prefix, limit } = options;
  if (prefix !== undefined && (gte !== undefined || lte !== undefined)) {
    throw new TypeError("query: prefix cannot be combined with gte/lte");
  }
  for (const [name, value] of [
    ["gte", gte],
    ["lte", lte],
    ["prefix", prefix],
  ] as const) {
    if (value !== undefined && (typeof value !== "string" || value.length === 0)) {
      throw new TypeError(`query: ${name} must be a non-empty string`);
    }
  }
  if (gte !== undefined && lte !== undefined && compareUtf8(gte, lte) > 0) {
    throw new RangeError(`query: gte ${gte} is above lte ${lte}`);
  }
  if (limit !== undefined && (!Number.isSafeInteger(limit) || limit < 1)) {
    throw new RangeError(`query: limit must be a positive integer, got ${limit}`);
  }
}

/** A manifest query cursor: the last key of the previous page (DynamoDB's LastEvaluatedKey). */
export interface ManifestCursor {
  pk: string;
  sk: string;
}

export function encodeManifestCursor(cursor: ManifestCursor): string {
  return Buffer.from(JSON.stringify({ pk: cursor.pk, sk: cursor.sk }), "utf8").toString("base64url");
}

/** Refuses cursors that are malformed or belong to another partition key (as DynamoDB does). */
export function decodeManifestCursor(cursor: string, pk: string): ManifestCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw new TypeError("query: malformed cursor");
  }
  if (
    typeof parsed !== "object" ||
    parsed === null ||
    !("pk" in parsed) ||
    !("sk" in parsed) ||
    typeof parsed.pk !== "string" ||
    typeof parsed.sk !== "string"
  ) {
    throw new TypeError("query: malformed cursor");
  }
  if (parsed.pk !== pk) throw new TypeError(`query: cursor belongs to ${parsed.pk}, not ${pk}`);
  return { pk: parsed.pk, sk: parsed.sk };
}

/**
 * A range must hold at least one byte: HTTP cannot express an empty range (`bytes=5-4` is ignored
 * by S3, which then returns the whole object), so asking for one is a caller bug.
 */
export function checkByteRange(range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end <= start) {
    throw new RangeError(`invalid byte range [${start}, ${end})`);
  }
}

export function checkListLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > LIST_LIMIT_MAX) {
    throw new RangeError(`list: limit must be an integer in 1..${LIST_LIMIT_MAX}, got ${limit}`);
  }
}

/** S3 keys are 1..1024 bytes of UTF-8. */
export function checkObjectKey(key: string): void {
  if (typeof key !== "string" || key.length === 0)
    throw new TypeError("object key must be a non-empty string");
  if (!isWellFormed(key)) throw new TypeError("object key contains a lone surrogate");
  if (Buffer.byteLength(key, "utf8") > 1024) throw new RangeError("object key is over 1024 bytes");
}
