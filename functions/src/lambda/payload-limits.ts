/**
 * Lambda's payload limits, enforced by Floe with its own JSON errors rather than left to the
 * platform (which answers with a bare 413/502 that no client can interpret):
 *
 *   request  the invocation event (JSON, body base64-encoded when binary) must stay under
 *            6,291,456 bytes. Floe's produce ceiling on Lambda is 4 MiB of *decoded* body
 *            (4 MiB · 4/3 = 5.33 MiB base64, plus headers, fits); a larger body that still got
 *            here is answered 413 `request_too_large` before it is decoded. Bodies beyond the
 *            platform limit never reach the function: the platform rejects them itself.
 *   response a buffered reply is serialised as JSON (binary bodies base64-encoded) and must also
 *            stay under 6,291,456 bytes, or Lambda replaces it with an error the client sees as a
 *            502. Floe checks the serialised size and answers a JSON error naming the limit.
 */
import { FloeError } from "../../../client/src/errors.js";

/** Lambda's synchronous invocation payload limit, request and response alike. */
export const LAMBDA_PAYLOAD_BYTES_MAX = 6_291_456;

/** The part of an API Gateway v2 / Function URL event this module reads. */
export interface EventBody {
  body?: string | null;
  isBase64Encoded?: boolean;
}

/** The body's size once decoded, computed without decoding it. */
export function decodedBodyBytes(event: EventBody): number {
  const body = event.body;
  if (body === undefined || body === null || body === "") return 0;
  if (!event.isBase64Encoded) return Buffer.byteLength(body, "utf8");
  let padding = 0;
  if (body.endsWith("==")) padding = 2;
  else if (body.endsWith("=")) padding = 1;
  return Math.floor((body.length * 3) / 4) - padding;
}

/** 413 `request_too_large` (the same body the HTTP app gives) when the event's body is over the limit. */
export function checkRequestBody(event: EventBody, limitBytes: number): FloeError | undefined {
  const bytes = decodedBodyBytes(event);
  if (bytes <= limitBytes) return undefined;
  return new FloeError("request_too_large", `the request body exceeds ${limitBytes} bytes`, {
    limit_bytes: limitBytes,
  });
}

/** The size Lambda will measure for a buffered result: its JSON serialisation. */
export function serialisedResultBytes(result: unknown): number {
  return Buffer.byteLength(JSON.stringify(result), "utf8");
}
