/**
 * The stack's choices, read from CDK context (`-c compute=both`, or "context" in cdk.json) and
 * checked once, so a typo fails synth with the allowed values instead of deploying a surprise.
 */
import type { EndpointAuth, LambdaEndpoint } from "./lambda-api.js";
import type { LambdaArchitectureName } from "./lz4-binary.js";

export type Compute = "lambda" | "container" | "both";

export interface FloeSettings {
  stackName: string;
  compute: Compute;
  /** Lambda and Fargate alike; Graviton (arm64) is about 20 % cheaper for the same work. */
  architecture: LambdaArchitectureName;
  lambdaEndpoint: LambdaEndpoint;
  auth: EndpointAuth;
  lambdaMemoryMiB?: number;
  /** A pushed agent image (else built from infra/container/Dockerfile at deploy). */
  image?: string;
  certificateArn?: string;
  minTasks?: number;
  maxTasks?: number;
  alarmEmail?: string;
  /** AWS_ENDPOINT_URL for the Lambda function (LocalStack: http://localhost.localstack.cloud:4566). */
  awsEndpoint?: string;
}

export type ContextReader = (key: string) => unknown;

export const DEFAULT_SETTINGS = {
  stackName: "Floe",
  compute: "lambda",
  architecture: "arm64",
  lambdaEndpoint: "function-url",
  auth: "iam",
} as const satisfies Partial<FloeSettings>;

export function readSettings(context: ContextReader): FloeSettings {
  const lambdaMemoryMiB = optionalInt(context, "lambdaMemoryMiB", 128, 10_240);
  const image = optionalString(context, "image");
  const certificateArn = optionalString(context, "certificateArn");
  const minTasks = optionalInt(context, "minTasks", 1, 100);
  const maxTasks = optionalInt(context, "maxTasks", 1, 1000);
  const alarmEmail = optionalString(context, "alarmEmail");
  const awsEndpoint = optionalString(context, "awsEndpoint");
  if (awsEndpoint !== undefined && !/^https?:\/\/[^\s/]+/.test(awsEndpoint)) {
    throw new Error(`context awsEndpoint must be an http(s) URL, got ${JSON.stringify(awsEndpoint)}`);
  }
  if (minTasks !== undefined && maxTasks !== undefined && maxTasks < minTasks) {
    throw new Error(`context maxTasks (${maxTasks}) must be at least minTasks (${minTasks})`);
  }
  return {
    stackName: optionalString(context, "stackName") ?? DEFAULT_SETTINGS.stackName,
    compute: oneOf(context, "compute", ["lambda", "container", "both"], DEFAULT_SETTINGS.compute),
    architecture: oneOf(context, "architecture", ["arm64", "x86_64"], DEFAULT_SETTINGS.architecture),
    lambdaEndpoint: oneOf(
      context,
      "lambdaEndpoint",
      ["function-url", "function-url-buffered", "http-api"],
      DEFAULT_SETTINGS.lambdaEndpoint,
    ),
    auth: oneOf(context, "auth", ["iam", "token"], DEFAULT_SETTINGS.auth),
    ...(lambdaMemoryMiB !== undefined ? { lambdaMemoryMiB } : {}),
    ...(image !== undefined ? { image } : {}),
    ...(certificateArn !== undefined ? { certificateArn } : {}),
    ...(minTasks !== undefined ? { minTasks } : {}),
    ...(maxTasks !== undefined ? { maxTasks } : {}),
    ...(alarmEmail !== undefined ? { alarmEmail } : {}),
    ...(awsEndpoint !== undefined ? { awsEndpoint } : {}),
  };
}

function optionalString(context: ContextReader, key: string): string | undefined {
  const value = context(key);
  if (value === undefined || value === null || value === "") return undefined;
  if (typeof value !== "string")
    throw new Error(`context ${key} must be a string, got ${JSON.stringify(value)}`);
  return value;
}

function oneOf<T extends string>(context: ContextReader, key: string, allowed: readonly T[], fallback: T): T {
  const value = optionalString(context, key);
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new Error(`context ${key} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value as T;
}

function optionalInt(context: ContextReader, key: string, min: number, max: number): number | undefined {
  const raw = context(key);
  if (raw === undefined || raw === null || raw === "") return undefined;
  // -c values arrive as strings; cdk.json values may be numbers.
  const value = typeof raw === "number" ? raw : Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new Error(`context ${key} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
