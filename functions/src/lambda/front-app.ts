/**
 * What every Lambda invocation goes through before the HTTP app: the runtime (config, SDK clients,
 * engine, app) built once per cold start, a clear JSON 500 when the configuration is unusable,
 * the request-size check against Lambda's payload limit, and request metrics. A Hono app of its
 * own, so the buffered and the streaming adapters (hono/aws-lambda `handle` / `streamHandle`)
 * wrap exactly the same thing.
 */
import { Hono } from "hono";
import { FloeError } from "../../../client/src/errors.js";
import { lz4Backend } from "../../../client/src/format/index.js";
import { type AgentConfig, ConfigError } from "../config.js";
import { errorResponse, stderrLogger, toFloeError } from "../http/errors.js";
import { awsStores, createRuntime, type Runtime } from "../runtime.js";
import { type Environment, loadLambdaConfig } from "./lambda-config.js";
import { type LineWriter, RequestMetrics } from "./metrics.js";
import { checkRequestBody, type EventBody } from "./payload-limits.js";

/** What hono/aws-lambda passes as the app's environment: the raw event (and the Lambda context). */
export interface LambdaBindings {
  event?: EventBody;
}

export interface FrontAppOptions {
  /** Where the cold-start line and the metrics go (default: stdout, which Lambda ships to CloudWatch). */
  writeLine?: LineWriter;
  /** Where configuration failures go (default: stderr). */
  writeError?: LineWriter;
  /**
   * Caps Server-Sent Events sessions below the configured ceiling. A buffered invocation (API
   * Gateway, a BUFFERED Function URL) delivers nothing until the session ends, so there a session
   * must end before the integration timeout; the client resumes with Last-Event-ID.
   */
  sseSessionMsMax?: number;
}

export type FrontApp = Hono<{ Bindings: LambdaBindings }>;

export function createFrontApp(env: Environment, options: FrontAppOptions = {}): FrontApp {
  const writeLine = options.writeLine ?? ((line: string) => process.stdout.write(`${line}\n`));
  const writeError = options.writeError ?? ((line: string) => process.stderr.write(`${line}\n`));
  const metrics = new RequestMetrics(env.AWS_LAMBDA_FUNCTION_NAME ?? "local", writeLine);
  let runtime: Runtime | undefined;

  /**
   * Built on the first invocation, not at import: a configuration error then becomes a JSON reply
   * the caller can read (an import-time throw would be an opaque Runtime.ImportModuleError), and
   * a failed build is retried by the next invocation rather than cached.
   */
  const ensureRuntime = (): Runtime | FloeError => {
    if (runtime !== undefined) return runtime;
    try {
      const config = withSseCap(loadLambdaConfig(env), options.sseSessionMsMax);
      runtime = createRuntime(config, awsStores(config));
      writeLine(
        JSON.stringify({
          level: "info",
          msg: "floe lambda runtime ready",
          bucket: config.bucket,
          table: config.table,
          region: config.region,
          lz4: lz4Backend(),
          request_bytes_max: config.limits.requestBytesMax,
          wait_ms_max: config.limits.waitMsMax,
        }),
      );
      return runtime;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      writeError(`floe: configuration error: ${error.message}`);
      return new FloeError("internal", `Floe is not configured: ${error.message}`);
    }
  };

  const front: FrontApp = new Hono<{ Bindings: LambdaBindings }>();
  front.onError((error) => errorResponse(toFloeError(error, stderrLogger)));
  front.all("*", async (c) => {
    const started = performance.now();
    const ready = ensureRuntime();
    let response: Response;
    if (ready instanceof FloeError) response = errorResponse(ready);
    else {
      const tooLarge = c.env?.event
        ? checkRequestBody(c.env.event, ready.config.limits.requestBytesMax)
        : undefined;
      response = tooLarge ? errorResponse(tooLarge) : await ready.app.fetch(c.req.raw, c.env);
    }
    metrics.record(c.req.method, c.req.path, response.status, performance.now() - started);
    return response;
  });
  return front;
}

function withSseCap(config: AgentConfig, sseSessionMsMax: number | undefined): AgentConfig {
  if (sseSessionMsMax === undefined || sseSessionMsMax >= config.limits.sseSessionMsMax) return config;
  return { ...config, limits: { ...config.limits, sseSessionMsMax } };
}
