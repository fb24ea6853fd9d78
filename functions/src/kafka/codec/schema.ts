/**
 * The declarative shape of a Kafka message, as the protocol's published grammar gives it: a list
 * of fields, each present in a range of versions, possibly nullable from some version on,
 * possibly a tagged field (flexible versions only). One generic codec (codec.ts) reads and
 * writes any message from this description, so a schema file is the grammar and nothing else.
 *
 * Version ranges are written as the grammar writes them: "0+", "3-12", "none".
 */

export type Primitive =
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint16"
  | "uint32"
  | "float64"
  | "bool"
  | "uuid"
  | "string"
  | "bytes"
  /** Record batches: nullable bytes on the wire, kept as raw bytes. */
  | "records";

export interface VersionRange {
  min: number;
  /** Inclusive; Infinity for "N+". */
  max: number;
}

export interface Field {
  /** Property name in the decoded object. */
  name: string;
  /** A primitive, or a nested struct (its fields). */
  type: Primitive | readonly Field[];
  array: boolean;
  versions: VersionRange;
  nullable: VersionRange;
  /** Tagged field number (written only in flexible versions, only when not the default). */
  tag?: number;
  /** Value when the field is absent in a version or omitted as a tagged field. */
  default?: unknown;
}

export interface MessageSchema {
  apiKey: number;
  name: string;
  /** Versions this server implements (and advertises in ApiVersions). */
  versions: VersionRange;
  /** First flexible version (compact types and tagged fields); Infinity if none. */
  flexibleFrom: number;
  request: readonly Field[];
  response: readonly Field[];
}

const NONE: VersionRange = { min: 1, max: 0 };

export function range(spec: string): VersionRange {
  if (spec === "none") return NONE;
  const open = /^(\d+)\+$/.exec(spec);
  if (open) return { min: Number(open[1]), max: Number.POSITIVE_INFINITY };
  const closed = /^(\d+)-(\d+)$/.exec(spec);
  if (closed) return { min: Number(closed[1]), max: Number(closed[2]) };
  const single = /^(\d+)$/.exec(spec);
  if (single) return { min: Number(single[1]), max: Number(single[1]) };
  throw new Error(`bad version range ${spec}`);
}

export function inRange(r: VersionRange, version: number): boolean {
  return version >= r.min && version <= r.max;
}

export interface FieldOptions {
  /** Versions the field exists in (default "0+"). */
  v?: string;
  /** Versions in which it may be null (default "none"). */
  nullable?: string;
  tag?: number;
  default?: unknown;
}

function field(name: string, type: Primitive | readonly Field[], array: boolean, o: FieldOptions): Field {
  return {
    name,
    type,
    array,
    versions: range(o.v ?? "0+"),
    nullable: range(o.nullable ?? "none"),
    ...(o.tag !== undefined ? { tag: o.tag } : {}),
    ...("default" in o ? { default: o.default } : {}),
  };
}

/** Builders that read like the grammar: `int32("partitionIndex")`, `array("topics", [...], { v: "1+" })`. */
export const int8 = (n: string, o: FieldOptions = {}) => field(n, "int8", false, o);
export const int16 = (n: string, o: FieldOptions = {}) => field(n, "int16", false, o);
export const int32 = (n: string, o: FieldOptions = {}) => field(n, "int32", false, o);
export const int64 = (n: string, o: FieldOptions = {}) => field(n, "int64", false, o);
export const bool = (n: string, o: FieldOptions = {}) => field(n, "bool", false, o);
export const uuid = (n: string, o: FieldOptions = {}) => field(n, "uuid", false, o);
export const string = (n: string, o: FieldOptions = {}) => field(n, "string", false, o);
export const bytes = (n: string, o: FieldOptions = {}) => field(n, "bytes", false, o);
export const records = (n: string, o: FieldOptions = {}) => field(n, "records", false, o);
/** An array of primitives, e.g. `[]int32 replicaNodes`. */
export const arrayOf = (n: string, type: Primitive, o: FieldOptions = {}) => field(n, type, true, o);
/** An array of structs. */
export const array = (n: string, fields: readonly Field[], o: FieldOptions = {}) => field(n, fields, true, o);
/** A single nested struct. */
export const struct = (n: string, fields: readonly Field[], o: FieldOptions = {}) =>
  field(n, fields, false, o);

export function message(
  apiKey: number,
  name: string,
  versions: string,
  flexibleFrom: string,
  request: readonly Field[],
  response: readonly Field[],
): MessageSchema {
  const flex = range(flexibleFrom);
  return {
    apiKey,
    name,
    versions: range(versions),
    flexibleFrom: flex.min > flex.max ? Number.POSITIVE_INFINITY : flex.min,
    request,
    response,
  };
}
