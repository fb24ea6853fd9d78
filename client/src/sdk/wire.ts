/**
 * Reading the server's JSON replies without trusting them: each reader checks the fields it uses
 * and names the one that is wrong, so a proxy's HTML page or a version skew fails loudly here
 * instead of as `undefined` deep inside the producer. Also base64, which JSON bodies use for bytes
 * (`Floe-Format: base64`) so keys and values round-trip exactly.
 */
import { FloeError } from "../errors.js";

export type Json = Record<string, unknown>;

function malformed(what: string): FloeError {
  return new FloeError("internal", `malformed reply from the server: ${what}`);
}

/** The value as an object, or a FloeError naming `what`. */
export function obj(value: unknown, what: string): Json {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw malformed(`${what} is not an object`);
  return value as Json;
}

export function arr(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw malformed(`${what} is not an array`);
  return value;
}

export function int(o: Json, field: string): number {
  const v = o[field];
  if (typeof v !== "number" || !Number.isSafeInteger(v)) throw malformed(`${field} is not an integer`);
  return v;
}

export function optInt(o: Json, field: string): number | undefined {
  return o[field] === undefined || o[field] === null ? undefined : int(o, field);
}

export function str(o: Json, field: string): string {
  const v = o[field];
  if (typeof v !== "string") throw malformed(`${field} is not a string`);
  return v;
}

export function optStr(o: Json, field: string): string | undefined {
  return o[field] === undefined || o[field] === null ? undefined : str(o, field);
}

/** An integer from a reply header (`Floe-Next-Offset`, ...). */
export function headerInt(headers: Headers, name: string): number {
  const raw = headers.get(name);
  const v = raw === null ? Number.NaN : Number(raw);
  if (!Number.isSafeInteger(v)) throw malformed(`header ${name} is ${JSON.stringify(raw)}`);
  return v;
}

interface NodeBuffer {
  from(
    data: ArrayBufferLike | string,
    offsetOrEncoding?: number | string,
    length?: number,
  ): Uint8Array & {
    toString(encoding: string): string;
  };
}

// Node's Buffer is several times faster than btoa/atob; browsers fall back to those.
const NodeBuffer = (globalThis as { Buffer?: NodeBuffer }).Buffer;

/**
 * Encodes bytes as standard base64.
 *
 * @example
 * toBase64(new TextEncoder().encode("hi")); // "aGk="
 */
export function toBase64(bytes: Uint8Array): string {
  if (NodeBuffer) return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Decodes standard base64 (as the server writes it) into bytes.
 *
 * @example
 * new TextDecoder().decode(fromBase64("aGk=")); // "hi"
 */
export function fromBase64(text: string): Uint8Array {
  if (NodeBuffer) {
    const b = NodeBuffer.from(text, "base64");
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  }
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
