/**
 * Storage and least privilege, on the "both" stack (every role that touches data is in it):
 * the bucket and table settings that protect the data, and IAM that grants exactly the actions
 * the AWS adapters call, on exactly the bucket and table.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Match } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  MANIFEST_TABLE_ACTIONS,
  SEGMENT_BUCKET_ACTIONS,
  SEGMENT_OBJECT_ACTIONS,
} from "../../infra/lib/data-access.js";
import {
  type Json,
  onlyLogicalId,
  PROJECT_ROOT,
  propertiesOf,
  resourcesOf,
  type Synthesised,
  synth,
} from "./synth.js";

let both: Synthesised;
let bucketId: string;
let tableId: string;

beforeAll(() => {
  both = synth({ compute: "both" });
  bucketId = onlyLogicalId(both.template, "AWS::S3::Bucket");
  tableId = onlyLogicalId(both.template, "AWS::DynamoDB::Table");
});
afterAll(() => both.dispose());

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

function allowStatements(): Array<{ policy: string; statement: Statement }> {
  return resourcesOf(both.template, "AWS::IAM::Policy").flatMap(([policy, resource]) => {
    const document = propertiesOf(resource).PolicyDocument as { Statement: Statement[] };
    return document.Statement.filter((s) => s.Effect === "Allow").map((statement) => ({ policy, statement }));
  });
}

const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOfStatement = (s: Statement): unknown[] =>
  Array.isArray(s.Resource) ? s.Resource : [s.Resource];

describe("segment bucket", () => {
  it("is encrypted, private, TLS-only, cleans up incomplete uploads, and is retained", () => {
    // Prepare / Act: synthesised in beforeAll.
    const bucket = both.template.findResources("AWS::S3::Bucket")[bucketId] as Json;

    // Assess
    expect(bucket.DeletionPolicy).toBe("Retain");
    expect(bucket.UpdateReplacePolicy).toBe("Retain");
    both.template.hasResourceProperties("AWS::S3::Bucket", {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({ Status: "Enabled", AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } }),
        ]),
      },
    });
    both.template.hasResourceProperties("AWS::S3::BucketPolicy", {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Principal: { AWS: "*" },
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
  });
});

describe("manifest table", () => {
  it("has the adapter's key schema, on-demand billing, PITR, the ttl attribute, and is retained and deletion-protected", () => {
    // Prepare / Act: synthesised in beforeAll.
    const table = both.template.findResources("AWS::DynamoDB::Table")[tableId] as Json;

    // Assess
    expect(table.DeletionPolicy).toBe("Retain");
    expect(table.UpdateReplacePolicy).toBe("Retain");
    expect(propertiesOf(table)).toMatchObject({
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      AttributeDefinitions: [
        { AttributeName: "pk", AttributeType: "S" },
        { AttributeName: "sk", AttributeType: "S" },
      ],
      BillingMode: "PAY_PER_REQUEST",
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: "ttl", Enabled: true },
      DeletionProtectionEnabled: true,
    });
  });
});

describe("IAM", () => {
  it("grants no wildcard action anywhere", () => {
    // Prepare
    const statements = allowStatements();

    // Act
    const wildcards = statements.flatMap(({ policy, statement }) =>
      actionsOf(statement)
        .filter((action) => action.includes("*"))
        .map((action) => `${policy}: ${action}`),
    );

    // Assess
    expect(statements.length).toBeGreaterThan(0);
    expect(wildcards).toEqual([]);
  });

  it("grants S3 and DynamoDB actions only on the segment bucket and the manifest table", () => {
    // Prepare
    const bucketArn = { "Fn::GetAtt": [bucketId, "Arn"] };
    const objectsArn = { "Fn::Join": ["", [bucketArn, "/*"]] };
    const tableArn = { "Fn::GetAtt": [tableId, "Arn"] };

    // Act
    const dataStatements = allowStatements().filter(({ statement }) =>
      actionsOf(statement).some((a) => a.startsWith("s3:") || a.startsWith("dynamodb:")),
    );

    // Assess: the Lambda role and the task role, three statements each.
    expect(dataStatements).toHaveLength(6);
    for (const { statement } of dataStatements) {
      const actions = actionsOf(statement);
      const resources = resourcesOfStatement(statement);
      if (actions.every((a) => (SEGMENT_OBJECT_ACTIONS as readonly string[]).includes(a)))
        expect(resources).toEqual([objectsArn]);
      else if (actions.every((a) => (SEGMENT_BUCKET_ACTIONS as readonly string[]).includes(a)))
        expect(resources).toEqual([bucketArn]);
      else if (actions.every((a) => (MANIFEST_TABLE_ACTIONS as readonly string[]).includes(a)))
        expect(resources).toEqual([tableArn]);
      else throw new Error(`unexpected data statement ${JSON.stringify(statement)}`);
    }
  });

  it("grants exactly the S3 and DynamoDB calls the AWS adapters make (the grant follows the code)", () => {
    // Prepare: the SDK commands the adapters send, read from their source.
    const adapters = join(PROJECT_ROOT, "functions/src/adapters/aws");
    const commandToAction: Record<string, string> = {
      PutObjectCommand: "s3:PutObject",
      GetObjectCommand: "s3:GetObject",
      DeleteObjectCommand: "s3:DeleteObject",
      ListObjectsV2Command: "s3:ListBucket",
      GetItemCommand: "dynamodb:GetItem",
      PutItemCommand: "dynamodb:PutItem",
      DeleteItemCommand: "dynamodb:DeleteItem",
      QueryCommand: "dynamodb:Query",
    };
    const sent = new Set<string>();
    for (const file of readdirSync(adapters)) {
      // ensure-resources.ts creates storage for the local stand-ins only; on AWS the stack owns it.
      if (!file.endsWith(".ts") || file === "ensure-resources.ts") continue;
      for (const match of readFileSync(join(adapters, file), "utf8").matchAll(/new (\w+Command)\(/g))
        sent.add(match[1]!);
    }

    // Act
    const needed = [...sent].map((command) => commandToAction[command] ?? `unmapped ${command}`).sort();
    const granted = [...new Set(allowStatements().flatMap(({ statement }) => actionsOf(statement)))]
      .filter((a) => a.startsWith("s3:") || a.startsWith("dynamodb:"))
      .sort();

    // Assess
    expect(needed).toEqual(granted);
  });
});
