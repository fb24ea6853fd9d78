/**
 * The Lambda entry point (bundled by the CDK stack into one asset):
 *
 *   index.handler        API Gateway HTTP API (payload v2) and BUFFERED Function URLs
 *   index.streamHandler  Function URLs in RESPONSE_STREAM mode (SSE, long reads)
 *
 * Both read their configuration from the environment (functions/src/config.ts names every
 * variable) on the first invocation of a cold start and reuse the SDK clients and engine after.
 * A function uses one of the two; the other one costs nothing until called.
 */
import { createHttpHandler, type HttpHandler } from "./http-handler.js";
import { createStreamHandler, type StreamHandler } from "./stream-handler.js";

export const handler: HttpHandler = createHttpHandler(process.env);
export const streamHandler: StreamHandler = createStreamHandler(process.env);
