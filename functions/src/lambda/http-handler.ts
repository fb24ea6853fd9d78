/**
 * The buffered Lambda adapter: API Gateway HTTP API (payload v2) and Function URLs in BUFFERED
 * mode. Both deliver the same event shape (`version: "2.0"`, `rawPath`, `rawQueryString`,
 * `requestContext.http`, `isBase64Encoded`), which hono/aws-lambda turns into a web Request;
 * the reply goes back as one result object, binary bodies base64-encoded.
 */
import { type APIGatewayProxyResult, handle, type LambdaContext, type LambdaEvent } from "hono/aws-lambda";
import { FloeError } from "../../../client/src/errors.js";
import { createFrontApp, type FrontAppOptions } from "./front-app.js";
import type { Environment } from "./lambda-config.js";
import { RequestMetrics } from "./metrics.js";
import { LAMBDA_PAYLOAD_BYTES_MAX, serialisedResultBytes } from "./payload-limits.js";

export type HttpHandler = (event: LambdaEvent, context?: LambdaContext) => Promise<APIGatewayProxyResult>;

/**
 * API Gateway's HTTP API integration timeout is 30 s and cannot be raised: `wait` is already
 * capped at 20 s on Lambda (config.ts), and an SSE session is cut to the same 20 s here, so every
 * reply is complete before the gateway gives up.
 */
export const BUFFERED_SSE_SESSION_MS_MAX = 20_000;

/**
 * Which replies travel base64-encoded. JSON and text go as text (readable in logs, a third
 * smaller); everything else, notably `application/vnd.floe.batch`, is bytes.
 */
export function isBinaryContentType(contentType: string): boolean {
  return !/^(?:text\/|application\/(?:[\w.+-]+\+)?json(?:\s*;|\s*$))/i.test(contentType.trim());
}

export function createHttpHandler(env: Environment, options: FrontAppOptions = {}): HttpHandler {
  const front = createFrontApp(env, { sseSessionMsMax: BUFFERED_SSE_SESSION_MS_MAX, ...options });
  const adapter = handle(front, { isContentTypeBinary: isBinaryContentType });
  const writeError = options.writeError ?? ((line: string) => process.stderr.write(`${line}\n`));
  // The front app counted the reply it produced; the replacement below is a 5xx of its own.
  const metrics = new RequestMetrics(
    env.AWS_LAMBDA_FUNCTION_NAME ?? "local",
    options.writeLine ?? ((line: string) => process.stdout.write(`${line}\n`)),
  );
  return async (event, context) => {
    const result: APIGatewayProxyResult = await adapter(event, context);
    const bytes = serialisedResultBytes(result);
    if (bytes <= LAMBDA_PAYLOAD_BYTES_MAX) return result;
    // Past the limit Lambda would drop the reply and the caller would see a bare 502.
    const error = new FloeError(
      "internal",
      `the reply (${bytes} bytes once serialised) exceeds Lambda's response limit of ${LAMBDA_PAYLOAD_BYTES_MAX} bytes; ` +
        "ask for less with max_bytes or max_records, or read through the streaming Function URL",
      { limit_bytes: LAMBDA_PAYLOAD_BYTES_MAX },
    );
    writeError(`floe: ${error.message}`);
    const http = (event as { requestContext?: { http?: { method?: string; path?: string } } }).requestContext
      ?.http;
    metrics.record(http?.method ?? "GET", http?.path ?? "/", error.status, 0);
    return {
      statusCode: error.status,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(error.toJSON()),
      isBase64Encoded: false,
    };
  };
}
