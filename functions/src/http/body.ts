/**
 * Request bodies: read once, as bytes, and never past the limit. Content-Length is only a hint
 * (it may be absent or lie), so the limit is enforced on the bytes actually received and the
 * reading stops as soon as it is crossed.
 */
import type { z } from "@hono/zod-openapi";
import { FloeError, invalidRequest } from "../../../client/src/errors.js";
import { describeIssues } from "./validation.js";

export const JSON_MEDIA_TYPE = "application/json";
/** One or more Kafka RecordBatch v2, concatenated (api.md § Records). */
export const BATCH_MEDIA_TYPE = "application/vnd.floe.batch";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function tooLarge(limitBytes: number): FloeError {
  return new FloeError("request_too_large", `the request body exceeds ${limitBytes} bytes`, {
    limit_bytes: limitBytes,
  });
}

/** The request's media type (lower case, without parameters), or undefined when none was sent. */
export function mediaTypeOf(request: Request): string | undefined {
  const header = request.headers.get("content-type");
  if (header === null) return undefined;
  return header.split(";", 1)[0]!.trim().toLowerCase();
}

/**
 * Checks the Content-Type against what a route accepts. A missing Content-Type counts as JSON so
 * that `curl --data-binary @file.json` style clients work; anything else must match exactly.
 */
export function requireMediaType<T extends string>(request: Request, accepted: readonly T[]): T {
  const type = mediaTypeOf(request) ?? JSON_MEDIA_TYPE;
  const found = accepted.find((a) => a === type);
  if (found === undefined) {
    throw new FloeError(
      "unsupported_media_type",
      `Content-Type must be ${accepted.join(" or ")}, not ${type}`,
      {
        accepted: accepted.join(", "),
      },
    );
  }
  return found;
}

/** Reads the whole body, failing with 413 `request_too_large` once it passes `limitBytes`. */
export async function readBodyBytes(request: Request, limitBytes: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limitBytes) {
    await request.body?.cancel().catch(() => {});
    throw tooLarge(limitBytes);
  }
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limitBytes) {
      await reader.cancel().catch(() => {});
      throw tooLarge(limitBytes);
    }
    chunks.push(value);
  }
  // The common case (one chunk) is handed on as is: no copy.
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    body.set(chunk, at);
    at += chunk.byteLength;
  }
  return body;
}

/** Parses bytes as UTF-8 JSON and validates them; every failure is a 400 naming what is wrong. */
export function parseJson<S extends z.ZodType>(bytes: Uint8Array, schema: S): z.output<S> {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw invalidRequest("the request body is not valid UTF-8");
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalidRequest(
      `malformed JSON in the request body: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const result = schema.safeParse(value);
  if (!result.success) throw describeIssues("body", result.error);
  return result.data;
}

/** Reads a JSON body within the limit and validates it against `schema`. */
export async function readJsonBody<S extends z.ZodType>(
  request: Request,
  limitBytes: number,
  schema: S,
): Promise<z.output<S>> {
  requireMediaType(request, [JSON_MEDIA_TYPE]);
  return parseJson(await readBodyBytes(request, limitBytes), schema);
}
