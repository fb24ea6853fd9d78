/**
 * Creates the bucket and table when missing. For the local stand-ins and tests ONLY: on AWS the
 * CDK stack owns both (with TTL, encryption, retention policies), and an agent creating its own
 * storage would hide a misconfigured name behind a fresh, empty table.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type TableDescription,
} from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, HeadBucketCommand, type S3Client } from "@aws-sdk/client-s3";
import { awsErrorName, awsHttpStatus, translateAwsError } from "./aws-errors.js";

/** Table creation on the stand-ins is immediate; on LocalStack a few seconds. */
const TABLE_ACTIVE_WAIT_MS_MAX = 30_000;
const TABLE_POLL_MS = 50;

export async function ensureBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (error) {
    if (awsHttpStatus(error) !== 404 && awsErrorName(error) !== "NotFound") {
      throw translateAwsError(error, `S3 HeadBucket ${bucket}`);
    }
  }
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    // Lost a creation race with another process starting at the same time: fine.
    if (awsErrorName(error) !== "BucketAlreadyOwnedByYou")
      throw translateAwsError(error, `S3 CreateBucket ${bucket}`);
  }
}

export async function ensureTable(client: DynamoDBClient, table: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: table,
        BillingMode: "PAY_PER_REQUEST",
        AttributeDefinitions: [
          { AttributeName: "pk", AttributeType: "S" },
          { AttributeName: "sk", AttributeType: "S" },
        ],
        KeySchema: [
          { AttributeName: "pk", KeyType: "HASH" },
          { AttributeName: "sk", KeyType: "RANGE" },
        ],
      }),
    );
  } catch (error) {
    if (awsErrorName(error) !== "ResourceInUseException")
      throw translateAwsError(error, `DynamoDB CreateTable ${table}`);
  }
  const deadline = Date.now() + TABLE_ACTIVE_WAIT_MS_MAX;
  for (;;) {
    const description = await describeTable(client, table);
    if (description.TableStatus === "ACTIVE") {
      checkKeySchema(table, description);
      return;
    }
    if (Date.now() > deadline) {
      throw new Error(`DynamoDB table ${table} not ACTIVE after ${TABLE_ACTIVE_WAIT_MS_MAX} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, TABLE_POLL_MS));
  }
}

async function describeTable(client: DynamoDBClient, table: string): Promise<TableDescription> {
  try {
    const response = await client.send(new DescribeTableCommand({ TableName: table }));
    if (response.Table === undefined) throw new Error(`DynamoDB DescribeTable ${table}: no description`);
    return response.Table;
  } catch (error) {
    throw translateAwsError(error, `DynamoDB DescribeTable ${table}`);
  }
}

/** A table left over from another tool with another key schema would fail every request later. */
function checkKeySchema(table: string, description: TableDescription): void {
  const schema = (description.KeySchema ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(",");
  if (schema !== "pk:HASH,sk:RANGE") {
    throw new Error(`DynamoDB table ${table} has key schema ${schema}, expected pk:HASH,sk:RANGE`);
  }
}
