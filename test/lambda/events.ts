/**
 * Lambda HTTP events as AWS delivers them (payload format 2.0), for driving the handlers the way
 * API Gateway and Function URLs do. Shapes follow the AWS documentation's examples:
 *
 *   API Gateway HTTP API: routeKey "$default" (the stack's catch-all route), requestContext with
 *     apiId/domainName/stage, `pathParameters.proxy`, headers lower-cased, repeated query keys
 *     joined by commas in `queryStringParameters` while `rawQueryString` keeps them apart.
 *   Function URL: the same payload with `pathParameters` and `stageVariables` null, the domain
 *     `<url-id>.lambda-url.<region>.on.aws`, and `requestContext.authorizer.iam` under IAM auth.
 *
 * Bodies: text as is; anything binary base64-encoded with `isBase64Encoded: true` (both services
 * do this for non-text content types, and a client may send base64 for any type).
 * Plain JSON (what the runtime delivers), so the same events also go to a child process.
 */

import type { LambdaContext, LambdaEvent } from "hono/aws-lambda";
import { ensureBucket, ensureTable } from "../../functions/src/adapters/aws/ensure-resources.js";
import { ENV } from "../../functions/src/config.js";
import { type TestStandIns, uniqueName } from "../support/standins.js";

export interface HttpRequestSpec {
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  cookies?: string[];
  /** Text body, or bytes (sent base64-encoded). */
  body?: string | Uint8Array;
  /** Base64-encode a text body too (clients and proxies may). */
  base64?: boolean;
}

export type EventKind = "api-gateway-v2" | "function-url";

/** The event as JSON: what the Lambda runtime hands to a handler. */
export type RawEvent = Record<string, unknown>;

const TIME = "21/Nov/2025:10:00:00 +0000";

function encodeBody(spec: HttpRequestSpec): { body: string | undefined; isBase64Encoded: boolean } {
  if (spec.body === undefined) return { body: undefined, isBase64Encoded: false };
  if (typeof spec.body !== "string")
    return { body: Buffer.from(spec.body).toString("base64"), isBase64Encoded: true };
  if (spec.base64) return { body: Buffer.from(spec.body, "utf8").toString("base64"), isBase64Encoded: true };
  return { body: spec.body, isBase64Encoded: false };
}

/** Repeated keys joined by commas, as API Gateway and Function URLs both do. */
function queryParameters(raw: string): Record<string, string> | undefined {
  if (raw === "") return undefined;
  const joined: Record<string, string> = {};
  for (const [key, value] of new URLSearchParams(raw))
    joined[key] = key in joined ? `${joined[key]},${value}` : value;
  return joined;
}

export function httpEvent(kind: EventKind, spec: HttpRequestSpec): RawEvent {
  const { body, isBase64Encoded } = encodeBody(spec);
  const rawQueryString = spec.query ?? "";
  const domainPrefix = kind === "function-url" ? "abcdefghijklmnopqrstuvwxyz012345" : "a1b2c3d4e5";
  const domainName =
    kind === "function-url"
      ? `${domainPrefix}.lambda-url.us-east-1.on.aws`
      : `${domainPrefix}.execute-api.us-east-1.amazonaws.com`;
  const headers: Record<string, string> = {
    host: domainName,
    "user-agent": "floe-test/1.0",
    "x-amzn-trace-id": "Root=1-5f84c7a9-0e2b1d1c2b3a4f5e6d7c8b9a",
    "x-forwarded-for": "192.0.2.10",
    "x-forwarded-port": "443",
    "x-forwarded-proto": "https",
  };
  for (const [name, value] of Object.entries(spec.headers ?? {})) headers[name.toLowerCase()] = value;
  if (body !== undefined) {
    headers["content-length"] = String(
      isBase64Encoded ? Buffer.from(body, "base64").byteLength : Buffer.byteLength(body),
    );
  }
  const http = {
    method: spec.method,
    path: spec.path,
    protocol: "HTTP/1.1",
    sourceIp: "192.0.2.10",
    userAgent: "floe-test/1.0",
  };
  const common: RawEvent = {
    version: "2.0",
    routeKey: "$default",
    rawPath: spec.path,
    rawQueryString,
    headers,
    isBase64Encoded,
    ...(spec.cookies ? { cookies: spec.cookies } : {}),
    ...(queryParameters(rawQueryString) ? { queryStringParameters: queryParameters(rawQueryString) } : {}),
    ...(body !== undefined ? { body } : {}),
  };
  if (kind === "api-gateway-v2") {
    return {
      ...common,
      pathParameters: { proxy: spec.path.slice(1) },
      requestContext: {
        accountId: "123456789012",
        apiId: domainPrefix,
        domainName,
        domainPrefix,
        http,
        requestId: "JKJaXmPLvHcESHA=",
        routeKey: "$default",
        stage: "$default",
        time: TIME,
        timeEpoch: 1763719200000,
      },
    };
  }
  return {
    ...common,
    pathParameters: null,
    stageVariables: null,
    requestContext: {
      accountId: "anonymous",
      apiId: domainPrefix,
      authentication: null,
      authorizer: {
        iam: {
          accessKey: "AKIAIOSFODNN7EXAMPLE",
          accountId: "111122223333",
          callerId: "AIDACKCEVSQ6C2EXAMPLE",
          cognitoIdentity: null,
          principalOrgId: null,
          userArn: "arn:aws:iam::111122223333:user/example-user",
          userId: "AIDACKCEVSQ6C2EXAMPLE",
        },
      },
      domainName,
      domainPrefix,
      http,
      requestId: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
      routeKey: "$default",
      stage: "$default",
      time: TIME,
      timeEpoch: 1763719200000,
    },
  };
}

/**
 * The JSON event as the handlers' parameter type. hono's type has no room for the `null`s a
 * Function URL sends (pathParameters, stageVariables); the adapter never reads those fields.
 */
export function asLambdaEvent(event: RawEvent): LambdaEvent {
  return event as unknown as LambdaEvent;
}

export function lambdaContext(functionName = "floe-test"): LambdaContext {
  const deadline = Date.now() + 30_000;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: "$LATEST",
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: "1024",
    awsRequestId: "8f5b2e1c-0a3d-4c6b-9e7f-1a2b3c4d5e6f",
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: "2025/11/21/[$LATEST]0123456789abcdef",
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/**
 * A bucket and table of their own on the stand-ins, and the environment a Lambda function gets
 * for them. Credentials come from the SDK's default chain, as on Lambda (the execution role's keys
 * are env vars there): the caller stubs AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.
 */
export async function lambdaStorageEnv(standIns: TestStandIns): Promise<Record<string, string>> {
  const bucket = uniqueName("bucket");
  const table = uniqueName("table");
  await ensureBucket(standIns.s3, bucket);
  await ensureTable(standIns.dynamodb, table);
  return {
    [ENV.bucket]: bucket,
    [ENV.table]: table,
    [ENV.s3Endpoint]: standIns.s3Endpoint,
    [ENV.dynamodbEndpoint]: standIns.dynamodbEndpoint,
  };
}
