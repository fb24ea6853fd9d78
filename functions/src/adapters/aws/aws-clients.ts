/**
 * Builds the S3 and DynamoDB clients from one typed configuration, the same way for AWS,
 * LocalStack and the embedded stand-ins (dynalite, s3rver): only values differ.
 *
 * Endpoints: an explicit `s3Endpoint` / `dynamodbEndpoint` is passed to the SDK and wins; when
 * absent, the SDK itself reads `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_DYNAMODB` and
 * `AWS_ENDPOINT_URL`, then falls back to the regional AWS endpoint.
 */
import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3Client } from "@aws-sdk/client-s3";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsConfig {
  region: string;
  s3Endpoint?: string;
  dynamodbEndpoint?: string;
  /** Absent: the SDK's default chain (env, profile, container/instance role). */
  credentials?: AwsCredentials;
  /** Required by s3rver and LocalStack (`http://host/bucket/key` instead of `bucket.host`). */
  forcePathStyle: boolean;
  /** SDK attempts per request, first included (SDK default 3). */
  maxAttempts?: number;
  /** Abandon a TCP/TLS connect after this long. */
  connectionTimeoutMs?: number;
  /** Abandon a request with no response (headers) after this long, and a socket idle this long. */
  requestTimeoutMs?: number;
}

/** s3rver accepts only these; dynalite accepts anything. */
export const STAND_IN_CREDENTIALS: AwsCredentials = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

export const CONNECTION_TIMEOUT_MS_DEFAULT = 2_000;
export const REQUEST_TIMEOUT_MS_DEFAULT = 10_000;
/** Sockets per client and protocol: enough for a flush touching many partitions in parallel. */
export const SOCKETS_MAX = 64;

/** Configuration for the embedded stand-ins or anything else listening locally. */
export function standInAwsConfig(endpoints: { s3Endpoint: string; dynamodbEndpoint: string }): AwsConfig {
  return {
    region: "us-east-1",
    s3Endpoint: endpoints.s3Endpoint,
    dynamodbEndpoint: endpoints.dynamodbEndpoint,
    credentials: STAND_IN_CREDENTIALS,
    forcePathStyle: true,
  };
}

export function createS3Client(config: AwsConfig): S3Client {
  return new S3Client({
    ...commonClientConfig(config),
    ...(config.s3Endpoint === undefined ? {} : { endpoint: config.s3Endpoint }),
    forcePathStyle: config.forcePathStyle,
    // With the default (WHEN_SUPPORTED) the SDK sends bodies as aws-chunked with a trailing
    // checksum; s3rver then stores the chunk framing as the object, silently. Segments carry
    // their own CRCs, so optional transport checksums buy nothing here.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
}

export function createDynamoDbClient(config: AwsConfig): DynamoDBClient {
  return new DynamoDBClient({
    ...commonClientConfig(config),
    ...(config.dynamodbEndpoint === undefined ? {} : { endpoint: config.dynamodbEndpoint }),
  });
}

function commonClientConfig(config: AwsConfig) {
  const requestTimeout = config.requestTimeoutMs ?? REQUEST_TIMEOUT_MS_DEFAULT;
  const agentOptions = { keepAlive: true, maxSockets: SOCKETS_MAX };
  return {
    region: config.region,
    ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
    ...(config.maxAttempts === undefined ? {} : { maxAttempts: config.maxAttempts }),
    // Without timeouts a hung connection hangs the agent forever; with them it becomes a
    // TimeoutError, which the adapters report as StoreUnavailableError (outcome unknown).
    requestHandler: {
      connectionTimeout: config.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS_DEFAULT,
      requestTimeout,
      // Otherwise the SDK only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
      // requestTimeout stops at the response headers; this bounds a body that stalls mid-stream.
      socketTimeout: requestTimeout,
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
    },
  };
}
