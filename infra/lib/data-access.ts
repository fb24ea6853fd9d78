/**
 * Least privilege for Floe's compute: exactly the S3 and DynamoDB actions the adapters call
 * (functions/src/adapters/aws/), on exactly the segment bucket and the manifest table.
 *
 *   S3ObjectStore        PutObject, GetObject (incl. ranged), DeleteObject, ListObjectsV2
 *   DynamoManifestStore  GetItem, PutItem, DeleteItem (conditional), Query
 *
 * ListObjectsV2 is authorised by s3:ListBucket on the bucket itself; object actions on its keys.
 * ensure-resources.ts (CreateBucket, CreateTable, Describe*) is for the local stand-ins only and
 * is deliberately not granted: on AWS the stack owns the storage. The CDK `grantReadWrite`
 * helpers are not used because they add actions the code never calls (BatchWriteItem, Scan,
 * UpdateItem, DescribeTable, s3:Abort*, ...).
 */
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as s3 from "aws-cdk-lib/aws-s3";

export const SEGMENT_OBJECT_ACTIONS = ["s3:PutObject", "s3:GetObject", "s3:DeleteObject"] as const;
export const SEGMENT_BUCKET_ACTIONS = ["s3:ListBucket"] as const;
export const MANIFEST_TABLE_ACTIONS = [
  "dynamodb:GetItem",
  "dynamodb:PutItem",
  "dynamodb:DeleteItem",
  "dynamodb:Query",
] as const;

export function grantDataAccess(grantee: iam.IGrantable, bucket: s3.IBucket, table: dynamodb.ITable): void {
  const statements = [
    new iam.PolicyStatement({
      sid: "FloeSegmentObjects",
      actions: [...SEGMENT_OBJECT_ACTIONS],
      resources: [bucket.arnForObjects("*")],
    }),
    new iam.PolicyStatement({
      sid: "FloeSegmentListing",
      actions: [...SEGMENT_BUCKET_ACTIONS],
      resources: [bucket.bucketArn],
    }),
    new iam.PolicyStatement({
      sid: "FloeManifest",
      actions: [...MANIFEST_TABLE_ACTIONS],
      resources: [table.tableArn],
    }),
  ];
  for (const statement of statements) grantee.grantPrincipal.addToPrincipalPolicy(statement);
}
