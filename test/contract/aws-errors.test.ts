/**
 * Error translation at the AWS adapter boundary, driven through the real SDK against a fake HTTP
 * endpoint that answers what S3/DynamoDB answer under load or misuse (and against a dead port and
 * a hung server). Transient → StoreUnavailableError (outcome unknown); misuse → plain Error.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AwsConfig,
  createDynamoDbClient,
  createS3Client,
  STAND_IN_CREDENTIALS,
} from "../../functions/src/adapters/aws/aws-clients.js";
import { DynamoManifestStore } from "../../functions/src/adapters/aws/dynamo-manifest-store.js";
import { S3ObjectStore } from "../../functions/src/adapters/aws/s3-object-store.js";
import {
  ConditionFailedError,
  ItemTooLargeError,
  StoreUnavailableError,
} from "../../functions/src/ports/manifest-store.js";
import { ObjectNotFoundError } from "../../functions/src/ports/object-store.js";
import { rejectionOf } from "../support/rejection.js";

type Responder = (request: IncomingMessage, response: ServerResponse) => void;

let server: Server;
let respond: Responder;
let endpoint: string;
const clients: Array<{ destroy(): void }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    // Drain the body first so the SDK never sees a reset it did not ask for.
    request.resume();
    request.on("end", () => respond(request, response));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  for (const client of clients.splice(0)) client.destroy();
  server.closeAllConnections();
});

afterAll(async () => {
  server.close();
  await once(server, "close");
});

function config(overrides: Partial<AwsConfig> = {}): AwsConfig {
  return {
    region: "us-east-1",
    s3Endpoint: endpoint,
    dynamodbEndpoint: endpoint,
    credentials: STAND_IN_CREDENTIALS,
    forcePathStyle: true,
    // One attempt: these tests are about translation, not about the SDK's retry policy.
    maxAttempts: 1,
    ...overrides,
  };
}

function manifestStore(overrides: Partial<AwsConfig> = {}): DynamoManifestStore {
  const client = createDynamoDbClient(config(overrides));
  clients.push(client);
  return new DynamoManifestStore(client, "floe-manifest");
}

function objectStore(overrides: Partial<AwsConfig> = {}): S3ObjectStore {
  const client = createS3Client(config(overrides));
  clients.push(client);
  return new S3ObjectStore(client, "floe-segments");
}

function dynamoError(status: number, type: string, message: string): Responder {
  return (_request, response) => {
    response.writeHead(status, { "content-type": "application/x-amz-json-1.0", "x-amzn-errortype": type });
    response.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message }));
  };
}

function s3Error(status: number, code: string, message: string): Responder {
  return (_request, response) => {
    response.writeHead(status, { "content-type": "application/xml" });
    response.end(
      `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
    );
  };
}

const head = { pk: "p#t#0", sk: "head", version: 2, data: { next: 1 } };

describe("DynamoManifestStore error translation", () => {
  it.each([
    ["ThrottlingException", 400],
    ["ProvisionedThroughputExceededException", 400],
    ["InternalServerError", 500],
    ["ServiceUnavailable", 503],
  ])(
    "reports %s (HTTP %i) as StoreUnavailableError: the write's outcome is unknown",
    async (type, status) => {
      // Prepare
      respond = dynamoError(status, type, "try later");
      const store = manifestStore();
      // Act
      const error = await rejectionOf(store.put(head, { kind: "version", version: 1 }));
      // Assess
      expect(error).toBeInstanceOf(StoreUnavailableError);
      expect(String(error)).toContain(type);
    },
  );

  it("reports a failed condition as ConditionFailedError naming the item", async () => {
    // Prepare
    respond = dynamoError(400, "ConditionalCheckFailedException", "The conditional request failed");
    const store = manifestStore();
    // Act
    const error = await rejectionOf(store.put(head, { kind: "version", version: 1 }));
    // Assess
    expect(error).toBeInstanceOf(ConditionFailedError);
    expect(error).toMatchObject({ pk: "p#t#0", sk: "head" });
  });

  it("reports DynamoDB's item size refusal as ItemTooLargeError, as the in-memory store does", async () => {
    // Prepare: DynamoDB may count a little higher than the adapter's own check (it is approximate).
    respond = dynamoError(400, "ValidationException", "Item size has exceeded the maximum allowed size");
    const store = manifestStore();
    // Act
    const error = await rejectionOf(store.put(head, { kind: "version", version: 1 }));
    // Assess
    expect(error).toBeInstanceOf(ItemTooLargeError);
    expect(error).toMatchObject({ pk: "p#t#0", sk: "head", limitBytes: 400 * 1024 });
  });

  it("reports a validation failure as a plain Error naming the operation (a bug, not retriable)", async () => {
    // Prepare
    respond = dynamoError(400, "ValidationException", "One or more parameter values were invalid");
    const store = manifestStore();
    // Act
    const error = await rejectionOf(store.get("p#t#0", "head"));
    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect(String(error)).toMatch(/DynamoDB GetItem floe-manifest p#t#0\/head failed: ValidationException/);
  });

  it("turns a server that never answers into StoreUnavailableError after the request timeout", async () => {
    // Prepare
    respond = () => undefined;
    const store = manifestStore({ requestTimeoutMs: 200 });
    const started = Date.now();
    // Act
    const error = await rejectionOf(store.query("p#t#0"));
    // Assess
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it("reports a connection reset after the request was sent as StoreUnavailableError", async () => {
    // Prepare
    respond = (request) => request.socket.destroy();
    const store = manifestStore();
    // Act
    const error = await rejectionOf(store.put(head, { kind: "absent" }));
    // Assess
    expect(error).toBeInstanceOf(StoreUnavailableError);
  });

  it("reports a refused connection as StoreUnavailableError", async () => {
    // Prepare
    const closed = createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const deadEndpoint = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    closed.close();
    await once(closed, "close");
    const store = manifestStore({ dynamodbEndpoint: deadEndpoint });
    // Act
    const error = await rejectionOf(store.get("p#t#0", "head"));
    // Assess
    expect(error).toBeInstanceOf(StoreUnavailableError);
  });
});

describe("S3ObjectStore error translation", () => {
  it.each([
    ["SlowDown", 503],
    ["InternalError", 500],
  ])("reports %s (HTTP %i) as StoreUnavailableError", async (code, status) => {
    // Prepare
    respond = s3Error(status, code, "try later");
    const store = objectStore();
    // Act
    const error = await rejectionOf(store.put("seg/0001", new Uint8Array([1, 2, 3])));
    // Assess
    expect(error).toBeInstanceOf(StoreUnavailableError);
  });

  it("reports NoSuchKey as ObjectNotFoundError", async () => {
    // Prepare
    respond = s3Error(404, "NoSuchKey", "The specified key does not exist.");
    const store = objectStore();
    // Act
    const error = await rejectionOf(store.get("seg/0001", { start: 0, end: 2 }));
    // Assess
    expect(error).toBeInstanceOf(ObjectNotFoundError);
  });

  it("reports AccessDenied as a plain Error naming the operation", async () => {
    // Prepare
    respond = s3Error(403, "AccessDenied", "Access Denied");
    const store = objectStore();
    // Act
    const error = await rejectionOf(store.list("seg/"));
    // Assess
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(StoreUnavailableError);
    expect(String(error)).toMatch(/S3 ListObjectsV2 floe-segments\/seg\/\* failed: AccessDenied/);
  });

  it("refuses a ranged answer of the wrong length instead of returning it", async () => {
    // Prepare: a 206 carrying fewer bytes than asked, as S3 sends for a range past the end.
    respond = (_request, response) => {
      response.writeHead(206, { "content-type": "application/octet-stream", "content-range": "bytes 0-1/2" });
      response.end(Buffer.from([7, 8]));
    };
    const store = objectStore();
    // Act
    const error = await rejectionOf(store.get("seg/0001", { start: 0, end: 4 }));
    // Assess
    expect(String(error)).toContain("answered with 2 bytes, expected 4");
  });
});
