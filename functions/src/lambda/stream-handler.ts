/**
 * The streaming Lambda adapter: a Function URL in RESPONSE_STREAM mode. The reply's headers go
 * out first and its body is piped as the app produces it, so Server-Sent Events and long-polls
 * reach the client as they happen, for up to the function's timeout (SSE sessions end after
 * `sseSessionMsMax`, 14 min on Lambda, with an explicit closing event).
 *
 * Response streaming exists only inside the Lambda Node.js runtime, which provides the global
 * `awslambda` (streamifyResponse, HttpResponseStream). Where it is missing (a test, a local
 * import) the handler is still exported, and says why it cannot serve when called.
 */
import { streamHandle } from "hono/aws-lambda";
import { createFrontApp, type FrontAppOptions } from "./front-app.js";
import type { Environment } from "./lambda-config.js";

export type StreamHandler = ReturnType<typeof streamHandle>;

/** The subset of the runtime's `awslambda` global that hono/aws-lambda's streamHandle uses. */
export interface AwsLambdaStreamingGlobal {
  streamifyResponse: (handler: (...args: never[]) => Promise<void>) => unknown;
  HttpResponseStream: { from: (stream: unknown, metadata: unknown) => unknown };
}

export function streamingRuntimeAvailable(): boolean {
  const candidate = (globalThis as { awslambda?: Partial<AwsLambdaStreamingGlobal> }).awslambda;
  return (
    typeof candidate?.streamifyResponse === "function" &&
    typeof candidate.HttpResponseStream?.from === "function"
  );
}

export function createStreamHandler(env: Environment, options: FrontAppOptions = {}): StreamHandler {
  if (!streamingRuntimeAvailable()) {
    return async () => {
      throw new Error(
        "floe: response streaming needs the Lambda Node.js runtime (global `awslambda`); use `handler` for API Gateway and BUFFERED Function URLs",
      );
    };
  }
  return streamHandle(createFrontApp(env, options));
}
