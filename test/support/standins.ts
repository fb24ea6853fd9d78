/**
 * Stand-ins for test files: dynalite and s3rver in the test process, on free ports, over a temp
 * dir, started once per file (about 0.1 s). Tests get real AWS adapters (real SDK, real HTTP) and isolate
 * themselves with a fresh bucket or table each (both are created in milliseconds).
 *
 *   const standIns = useStandIns();
 *   it("...", async () => { const store = await standIns().newManifestStore(); ... });
 */
import { randomBytes } from "node:crypto";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import { afterAll, beforeAll } from "vitest";
import {
  type AwsConfig,
  createDynamoDbClient,
  createS3Client,
  standInAwsConfig,
} from "../../functions/src/adapters/aws/aws-clients.js";
import { DynamoManifestStore } from "../../functions/src/adapters/aws/dynamo-manifest-store.js";
import { ensureBucket, ensureTable } from "../../functions/src/adapters/aws/ensure-resources.js";
import { S3ObjectStore } from "../../functions/src/adapters/aws/s3-object-store.js";
import { startStandIns } from "../../functions/src/local/standins.js";

export interface TestStandIns {
  s3Endpoint: string;
  dynamodbEndpoint: string;
  /** Client configuration pointing at these stand-ins (for building more clients). */
  awsConfig: AwsConfig;
  s3: S3Client;
  dynamodb: DynamoDBClient;
  /** Shared by the whole file: isolate with unique key prefixes / partition keys. */
  objectStore: S3ObjectStore;
  manifestStore: DynamoManifestStore;
  /** A store on a bucket of its own, created now. */
  newObjectStore(): Promise<S3ObjectStore>;
  /** A store on a table of its own, created now. */
  newManifestStore(): Promise<DynamoManifestStore>;
  stop(): Promise<void>;
}

/** Names valid for both S3 buckets and DynamoDB tables, unique across files running in parallel. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString("hex")}`;
}

export async function startTestStandIns(): Promise<TestStandIns> {
  // No dataDir: DynamoDB in memory, S3 in a temp dir that stop() removes.
  const standIns = await startStandIns({ bucket: "floe-test", table: "floe-test" });
  const awsConfig = standInAwsConfig(standIns);
  const s3 = createS3Client(awsConfig);
  const dynamodb = createDynamoDbClient(awsConfig);
  return {
    s3Endpoint: standIns.s3Endpoint,
    dynamodbEndpoint: standIns.dynamodbEndpoint,
    awsConfig,
    s3,
    dynamodb,
    objectStore: new S3ObjectStore(s3, standIns.bucket),
    manifestStore: new DynamoManifestStore(dynamodb, standIns.table),
    async newObjectStore() {
      const bucket = uniqueName("bucket");
      await ensureBucket(s3, bucket);
      return new S3ObjectStore(s3, bucket);
    },
    async newManifestStore() {
      const table = uniqueName("table");
      await ensureTable(dynamodb, table);
      return new DynamoManifestStore(dynamodb, table);
    },
    async stop() {
      s3.destroy();
      dynamodb.destroy();
      await standIns.stop();
    },
  };
}

/**
 * Starts the stand-ins in `beforeAll` and stops them in `afterAll` of the calling file (or
 * describe block). Returns an accessor, since the stand-ins exist only once `beforeAll` has run.
 */
export function useStandIns(): () => TestStandIns {
  let standIns: TestStandIns | undefined;
  beforeAll(async () => {
    standIns = await startTestStandIns();
  });
  afterAll(async () => {
    await standIns?.stop();
    standIns = undefined;
  });
  return () => {
    if (standIns === undefined) throw new Error("stand-ins are not running: call them inside a test or hook");
    return standIns;
  };
}
