/**
 * The size of a manifest item as DynamoDB counts it against its 400 KB item limit and bills it
 * (developer guide, "Item sizes and formats"):
 *   item    = Σ over top-level attributes (UTF-8 bytes of the name + size of the value)
 *   string  = UTF-8 bytes            number  = 1 byte per 2 significant digits + 1
 *   boolean = 1, null = 1            binary  = raw bytes
 *   list    = 3 + Σ (1 + element)    map     = 3 + Σ (1 + UTF-8 bytes of the name + value)
 * The AWS adapter stores a `ManifestItem` as `pk` (S), `sk` (S), `v` (N), `d` (M: the data) and,
 * when set, `ttl` (N): `manifestItemBytes` sizes exactly that layout. Numbers are counted one byte
 * high when negative (the docs say "approximately"; erring high keeps a budget safe).
 */
import type { ItemData, ManifestItem } from "../ports/manifest-store.js";

/** DynamoDB refuses an item above 400 KB (409,600 bytes). */
export const DYNAMODB_ITEM_BYTES_MAX = 400 * 1024;

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

export function numberBytes(value: number): number {
  const digits = significantDigits(value);
  return Math.ceil(digits / 2) + 1 + (value < 0 ? 1 : 0);
}

function significantDigits(value: number): number {
  if (Number.isSafeInteger(value)) {
    // The common case (offsets, versions, timestamps), without building strings.
    let n = Math.abs(value);
    if (n === 0) return 1;
    while (n % 10 === 0) n /= 10; // trailing zeroes are trimmed
    let digits = 0;
    for (; n > 0; n = Math.floor(n / 10)) digits++;
    return digits;
  }
  // toExponential gives the shortest round-tripping mantissa: "1.2345e+21", "5e-7".
  const mantissa = Math.abs(value).toExponential().split("e")[0]!.replace(".", "");
  return Math.max(1, mantissa.replace(/^0+/, "").replace(/0+$/, "").length);
}

/** The size of one attribute value (a JSON-compatible value, as `copyItemData` admits). */
export function valueBytes(value: unknown): number {
  if (value === null || typeof value === "boolean") return 1;
  if (typeof value === "string") return utf8Bytes(value);
  if (typeof value === "number") return numberBytes(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) {
    let bytes = 3;
    for (const element of value) if (element !== undefined) bytes += 1 + valueBytes(element);
    return bytes;
  }
  if (typeof value === "object") {
    let bytes = 3;
    for (const [name, member] of Object.entries(value)) {
      if (member !== undefined) bytes += mapMemberBytes(name, member);
    }
    return bytes;
  }
  throw new TypeError(`cannot size a ${typeof value} as a DynamoDB value`);
}

/** What one member adds to the map holding it: its 1-byte overhead, its name and its value. */
export function mapMemberBytes(name: string, value: unknown): number {
  return 1 + utf8Bytes(name) + valueBytes(value);
}

/** What one element adds to the list holding it. */
export function listElementBytes(value: unknown): number {
  return 1 + valueBytes(value);
}

/** The size of a manifest item as the AWS adapter writes it (see the layout above). */
export function manifestItemBytes(item: ManifestItem): number {
  let bytes =
    utf8Bytes("pk") +
    utf8Bytes(item.pk) +
    utf8Bytes("sk") +
    utf8Bytes(item.sk) +
    utf8Bytes("v") +
    numberBytes(item.version) +
    utf8Bytes("d") +
    valueBytes(item.data satisfies ItemData);
  if (item.expiresAt !== undefined) bytes += utf8Bytes("ttl") + numberBytes(item.expiresAt);
  return bytes;
}
