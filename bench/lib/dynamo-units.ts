/**
 * DynamoDB capacity arithmetic on the wire format (AttributeValue JSON, as the SDK sends it), so
 * the counting forwarder can price what an agent writes and reads without knowing its layout.
 *
 * Item size follows the developer guide's "Item sizes and formats": the sum over attributes of
 * the UTF-8 bytes of the name plus the value, where a string is its UTF-8 bytes, binary its raw
 * bytes, a number its base-100 digits plus one, a boolean or null 1 byte, and a map or list 3
 * bytes plus 1 per element plus the elements (a map member's name counts like an attribute name).
 * Units: a write is ceil(size / 1 KiB) write units (a transactional write twice that); a read is
 * ceil(size / 4 KiB) read units if strongly consistent, half that if eventually consistent; a
 * Query rounds the sum of the items it returns up to 4 KiB once.
 */

/** One DynamoDB AttributeValue as JSON on the wire: exactly one of these members is set. */
export type WireValue = {
  S?: string;
  N?: string;
  B?: string;
  BOOL?: boolean;
  NULL?: boolean;
  M?: Record<string, WireValue>;
  L?: WireValue[];
  SS?: string[];
  NS?: string[];
  BS?: string[];
};

export type WireItem = Record<string, WireValue>;

const KiB = 1024;

function utf8(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** A number's stored size: base-100 digits aligned on the decimal point, +1 exponent, +1 if negative. */
export function numberBytes(text: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value === 0) return 1;
  const [mantissa, exponentText] = Math.abs(value).toExponential().split("e") as [string, string];
  const digits = mantissa.replace(".", "").replace(/0+$/, "");
  const exponent = Number(exponentText);
  const leadingPad = ((exponent % 2) + 2) % 2 === 1 ? 0 : 1;
  return 1 + Math.ceil((digits.length + leadingPad) / 2) + (value < 0 ? 1 : 0);
}

export function valueBytes(v: WireValue): number {
  if (v.S !== undefined) return utf8(v.S);
  if (v.N !== undefined) return numberBytes(v.N);
  if (v.B !== undefined) return Buffer.from(v.B, "base64").length;
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (v.M !== undefined) return 3 + itemBytes(v.M) + Object.keys(v.M).length;
  if (v.L !== undefined) return 3 + v.L.reduce((n, e) => n + 1 + valueBytes(e), 0);
  if (v.SS !== undefined) return v.SS.reduce((n, s) => n + utf8(s), 0);
  if (v.NS !== undefined) return v.NS.reduce((n, s) => n + numberBytes(s), 0);
  if (v.BS !== undefined) return v.BS.reduce((n, s) => n + Buffer.from(s, "base64").length, 0);
  return 0;
}

/** The size DynamoDB charges an item by. */
export function itemBytes(item: WireItem): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8(name) + valueBytes(value);
  return size;
}

export function writeUnits(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / KiB));
}

export function readUnits(bytes: number, consistent: boolean): number {
  const units = Math.max(1, Math.ceil(bytes / (4 * KiB)));
  return consistent ? units : units / 2;
}
