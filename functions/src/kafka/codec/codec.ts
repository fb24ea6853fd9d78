/**
 * The one generic encoder/decoder: walks a schema's fields for a given version and reads or
 * writes each one. Flexible versions switch strings, bytes and arrays to their compact forms and
 * end every struct with its tagged fields:
 *
 *   TAGGED_FIELDS => count:UNSIGNED_VARINT { tag:UNSIGNED_VARINT size:UNSIGNED_VARINT value:byte[size] }
 *
 * Unknown tags are skipped (that is what makes them forward compatible); known ones are decoded.
 */
import { KafkaDecodeError, KafkaReader, KafkaWriter, NULL_UUID } from "./primitives.js";
import { type Field, inRange, type Primitive } from "./schema.js";

/** A decoded message: property names are the schema's field names. */
export type Message = { [field: string]: unknown };

function primitiveDefault(type: Primitive): unknown {
  switch (type) {
    case "bool":
      return false;
    case "string":
      return "";
    case "uuid":
      return NULL_UUID;
    case "bytes":
      return new Uint8Array(0);
    case "records":
      return null;
    default:
      return 0;
  }
}

function defaultOf(field: Field): unknown {
  if ("default" in field) return field.default;
  if (field.array) return [];
  if (typeof field.type !== "string") return {};
  return primitiveDefault(field.type);
}

function readPrimitive(r: KafkaReader, type: Primitive, flexible: boolean, nullable: boolean): unknown {
  switch (type) {
    case "int8":
      return r.int8();
    case "int16":
      return r.int16();
    case "int32":
      return r.int32();
    case "int64":
      return r.int64();
    case "uint16":
      return r.uint16();
    case "uint32":
      return r.uint32();
    case "float64":
      return r.float64();
    case "bool":
      return r.bool();
    case "uuid":
      return r.uuid();
    case "string":
      return r.string(flexible, nullable);
    case "bytes":
      return r.bytes(flexible, nullable);
    case "records":
      return r.bytes(flexible, true);
  }
}

function readValue(r: KafkaReader, field: Field, version: number, flexible: boolean): unknown {
  const nullable = inRange(field.nullable, version);
  if (field.array) {
    const n = r.arrayLength(flexible);
    if (n === null) {
      if (!nullable) throw new KafkaDecodeError(`null array ${field.name}`);
      return null;
    }
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) {
      out[i] =
        typeof field.type === "string"
          ? readPrimitive(r, field.type, flexible, false)
          : decodeStruct(r, field.type, version, flexible);
    }
    return out;
  }
  if (typeof field.type !== "string") return decodeStruct(r, field.type, version, flexible);
  return readPrimitive(r, field.type, flexible, nullable);
}

export function decodeStruct(
  r: KafkaReader,
  fields: readonly Field[],
  version: number,
  flexible: boolean,
): Message {
  const out: Message = {};
  for (const field of fields) {
    if (!inRange(field.versions, version) || (field.tag !== undefined && !flexible)) {
      out[field.name] = defaultOf(field);
      continue;
    }
    if (field.tag !== undefined) {
      out[field.name] = defaultOf(field); // set below if the tag is present
      continue;
    }
    out[field.name] = readValue(r, field, version, flexible);
  }
  if (flexible) {
    const count = r.uvarint();
    if (count > r.remaining) throw new KafkaDecodeError(`${count} tagged fields cannot fit the frame`);
    let lastTag = -1;
    for (let i = 0; i < count; i++) {
      const tag = r.uvarint();
      if (tag <= lastTag) throw new KafkaDecodeError("tagged fields out of order");
      lastTag = tag;
      const size = r.uvarint();
      const value = r.sub(size);
      const known = fields.find((f) => f.tag === tag && inRange(f.versions, version));
      if (!known) continue;
      out[known.name] = readValue(value, known, version, flexible);
      if (value.remaining !== 0) throw new KafkaDecodeError(`tagged field ${known.name} has trailing bytes`);
    }
  }
  return out;
}

function writePrimitive(w: KafkaWriter, type: Primitive, value: unknown, flexible: boolean): void {
  switch (type) {
    case "int8":
      w.int8(value as number);
      return;
    case "int16":
      w.int16(value as number);
      return;
    case "int32":
      w.int32(value as number);
      return;
    case "int64":
      w.int64(value as number);
      return;
    case "uint16":
      w.uint16(value as number);
      return;
    case "uint32":
      w.uint32(value as number);
      return;
    case "float64":
      w.float64(value as number);
      return;
    case "bool":
      w.bool(Boolean(value));
      return;
    case "uuid":
      w.uuid((value as string | null) ?? NULL_UUID);
      return;
    case "string":
      w.string(value as string | null, flexible);
      return;
    case "bytes":
    case "records":
      w.bytes(value as Uint8Array | null, flexible);
      return;
  }
}

function writeValue(w: KafkaWriter, field: Field, value: unknown, version: number, flexible: boolean): void {
  const nullable = inRange(field.nullable, version);
  let v = value === undefined ? defaultOf(field) : value;
  // A null where this version cannot carry one is written as the field's empty value (e.g. a
  // protocol name that only v7+ may leave null), never as bytes an old client cannot parse.
  if (v === null && !nullable && field.type !== "records") {
    v = field.array ? [] : typeof field.type === "string" ? primitiveDefault(field.type) : {};
  }
  if (field.array) {
    if (v === null) {
      w.arrayLength(null, flexible);
      return;
    }
    const items = v as unknown[];
    w.arrayLength(items.length, flexible);
    for (const item of items) {
      if (typeof field.type === "string") writePrimitive(w, field.type, item, flexible);
      else encodeStruct(w, field.type, item as Message, version, flexible);
    }
    return;
  }
  if (typeof field.type !== "string") {
    encodeStruct(w, field.type, (v ?? {}) as Message, version, flexible);
    return;
  }
  writePrimitive(w, field.type, v, flexible);
}

function isDefault(field: Field, value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  return value === defaultOf(field);
}

export function encodeStruct(
  w: KafkaWriter,
  fields: readonly Field[],
  value: Message,
  version: number,
  flexible: boolean,
): void {
  const tagged: { tag: number; bytes: Uint8Array }[] = [];
  for (const field of fields) {
    if (!inRange(field.versions, version)) continue;
    if (field.tag !== undefined) {
      if (!flexible || isDefault(field, value[field.name])) continue;
      const inner = new KafkaWriter();
      writeValue(inner, field, value[field.name], version, flexible);
      tagged.push({ tag: field.tag, bytes: inner.finish() });
      continue;
    }
    writeValue(w, field, value[field.name], version, flexible);
  }
  if (flexible) {
    tagged.sort((a, b) => a.tag - b.tag);
    w.uvarint(tagged.length);
    for (const t of tagged) w.uvarint(t.tag).uvarint(t.bytes.length).raw(t.bytes);
  }
}

/** Decodes a whole body; trailing bytes mean the client and we disagree on the grammar. */
export function decodeBody(
  buf: Uint8Array,
  start: number,
  fields: readonly Field[],
  version: number,
  flexible: boolean,
): Message {
  const r = new KafkaReader(buf, start);
  const out = decodeStruct(r, fields, version, flexible);
  if (r.remaining !== 0) throw new KafkaDecodeError(`${r.remaining} trailing bytes after the body`);
  return out;
}

export function encodeBody(
  fields: readonly Field[],
  value: Message,
  version: number,
  flexible: boolean,
): Uint8Array {
  const w = new KafkaWriter(1024);
  encodeStruct(w, fields, value, version, flexible);
  return w.finish();
}
