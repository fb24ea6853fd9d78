/**
 * Where Floe's data lives: the segment bucket and the manifest table. Both are RETAINed: deleting
 * the stack (or replacing these resources by a careless edit) must never delete the log. Removing
 * the data is a deliberate, separate act (docs/deploy.md § Tear down).
 */
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";

/** The item attribute the DynamoDB adapter writes epoch seconds to (functions/src/adapters/aws/dynamo-manifest-store.ts). */
export const TTL_ATTRIBUTE = "ttl";

export class FloeStorage extends Construct {
  readonly bucket: s3.Bucket;
  readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, "Segments", {
      // SSE-S3: encrypted at rest with no KMS key to manage and no kms:* permission or per-request
      // KMS charge (every segment GET would otherwise also be a KMS Decrypt).
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // A bucket policy denying every request not made over TLS.
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // Segments are immutable and never overwritten, and garbage collection deletes only what no
      // index entry references: versioning would only keep dead bytes.
      versioned: false,
      lifecycleRules: [
        {
          id: "abort-incomplete-multipart-uploads",
          // The SDK uploads large segments in parts; a writer that dies mid-upload leaves parts
          // that are billed but invisible. A day is far beyond any real upload.
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
      autoDeleteObjects: false,
    });

    this.table = new dynamodb.Table(this, "Manifest", {
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "sk", type: dynamodb.AttributeType.STRING },
      // Produce traffic is bursty and per-partition; on-demand has no capacity to tune or throttle at.
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Items written with an expiry (ManifestStore `expiresAt`) carry epoch seconds here.
      timeToLiveAttribute: TTL_ATTRIBUTE,
      // Encrypted at rest with the AWS owned key (the default): no KMS charge per request.
      encryption: dynamodb.TableEncryption.DEFAULT,
      // A second lock beside RETAIN: even a direct DeleteTable call fails until this is turned off.
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
