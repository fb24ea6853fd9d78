/**
 * Upper-bound estimates of the heap a cached value keeps alive, for caches bounded in bytes.
 * V8 with pointer compression stores a small object in 12-24 bytes plus 4-8 per property, a
 * string in 12-16 bytes plus 1 (Latin-1) or 2 (UTF-16) per character, a non-small integer as a
 * 12-16 byte heap number. The constants below round every one of those up, so a cache that adds
 * these estimates never holds more than its budget. Not counted: strings that are slices of
 * larger strings (V8 may keep the parent alive); cached values here are decoded from JSON or
 * built fresh, so they are flat.
 */

/** One Map entry: its slot in the hash table and the entry record (key and value pointers). */
export const MAP_ENTRY_BYTES = 48;
const OBJECT_BYTES = 32;
const PROPERTY_BYTES = 16;
const ARRAY_BYTES = 32;
const ELEMENT_BYTES = 8;
const STRING_BYTES = 24;
const NUMBER_BYTES = 16;
/** A typed array view and its ArrayBuffer header (the bytes themselves are counted apart). */
export const TYPED_ARRAY_BYTES = 128;

export function retainedBytes(value: unknown): number {
  if (value === null || value === undefined || typeof value === "boolean") return ELEMENT_BYTES;
  if (typeof value === "number") return NUMBER_BYTES;
  if (typeof value === "string") return stringBytes(value);
  if (ArrayBuffer.isView(value)) return TYPED_ARRAY_BYTES + value.byteLength;
  if (Array.isArray(value)) {
    let size = ARRAY_BYTES;
    for (const element of value) size += ELEMENT_BYTES + retainedBytes(element);
    return size;
  }
  // Maps and Sets hold their entries outside their own properties (Object.entries sees none):
  // producer states live in Maps, so a cache of topic states must be charged for them.
  if (value instanceof Map) {
    let size = OBJECT_BYTES;
    for (const [key, member] of value) size += MAP_ENTRY_BYTES + retainedBytes(key) + retainedBytes(member);
    return size;
  }
  if (value instanceof Set) {
    let size = OBJECT_BYTES;
    for (const member of value) size += MAP_ENTRY_BYTES + retainedBytes(member);
    return size;
  }
  if (typeof value === "object") {
    let size = OBJECT_BYTES;
    for (const [key, member] of Object.entries(value)) {
      size += PROPERTY_BYTES + stringBytes(key) + retainedBytes(member);
    }
    return size;
  }
  throw new TypeError(`no size estimate for a ${typeof value}`);
}

export function stringBytes(value: string): number {
  return STRING_BYTES + 2 * value.length;
}
