/**
 * ObjectStore on S3 (or s3rver / LocalStack). One request per call; the SDK's own retries are
 * the only retries here. Errors are translated: NoSuchKey → ObjectNotFoundError, transient →
 * StoreUnavailableError, anything else → a plain Error naming the operation.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import {
  type ByteRange,
  type ListPage,
  ObjectNotFoundError,
  type ObjectStore,
  type ObjectSummary,
} from "../../ports/object-store.js";
import { checkByteRange, checkListLimit, checkObjectKey, LIST_LIMIT_MAX } from "../store-rules.js";
import { awsErrorName, translateAwsError } from "./aws-errors.js";

export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
  ) {}

  async put(key: string, body: Uint8Array): Promise<void> {
    checkObjectKey(key);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          // A known length keeps the SDK from streaming the body with chunked framing.
          ContentLength: body.byteLength,
          ContentType: "application/octet-stream",
        }),
      );
    } catch (error) {
      throw translateAwsError(error, `S3 PutObject ${this.bucket}/${key}`);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    checkObjectKey(key);
    if (range !== undefined) checkByteRange(range);
    let bytes: Uint8Array;
    let contentLength: number | undefined;
    try {
      const response = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          // HTTP ranges are inclusive at both ends; the port's end is exclusive.
          ...(range === undefined ? {} : { Range: `bytes=${range.start}-${range.end - 1}` }),
        }),
      );
      if (response.Body === undefined) throw new Error(`S3 GetObject ${this.bucket}/${key}: no body`);
      bytes = await response.Body.transformToByteArray();
      contentLength = response.ContentLength;
    } catch (error) {
      if (awsErrorName(error) === "NoSuchKey") throw new ObjectNotFoundError(key);
      throw translateAwsError(error, `S3 GetObject ${this.bucket}/${key}`);
    }
    // S3 answers a range running past the end with the bytes it has, and an invalid range with
    // the whole object; either way the caller would read the wrong bytes, so refuse here.
    const expected = range === undefined ? contentLength : range.end - range.start;
    if (expected !== undefined && bytes.byteLength !== expected) {
      const asked = range === undefined ? "whole object" : `range [${range.start}, ${range.end})`;
      throw new Error(
        `S3 GetObject ${this.bucket}/${key}: ${asked} answered with ${bytes.byteLength} bytes, expected ${expected}`,
      );
    }
    return bytes;
  }

  async delete(key: string): Promise<void> {
    checkObjectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      throw translateAwsError(error, `S3 DeleteObject ${this.bucket}/${key}`);
    }
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<ListPage> {
    const limit = options.limit ?? LIST_LIMIT_MAX;
    checkListLimit(limit);
    try {
      const response = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          MaxKeys: limit,
          ...(options.cursor === undefined ? {} : { ContinuationToken: options.cursor }),
        }),
      );
      const objects: ObjectSummary[] = (response.Contents ?? []).map((entry) => {
        if (entry.Key === undefined || entry.Size === undefined || entry.LastModified === undefined) {
          throw new Error(`S3 ListObjectsV2 ${this.bucket}: entry without key, size or date`);
        }
        return { key: entry.Key, size: entry.Size, lastModified: entry.LastModified.getTime() };
      });
      if (!response.IsTruncated) return { objects };
      if (response.NextContinuationToken === undefined) {
        throw new Error(`S3 ListObjectsV2 ${this.bucket}: truncated page without a continuation token`);
      }
      return { objects, cursor: response.NextContinuationToken };
    } catch (error) {
      throw translateAwsError(error, `S3 ListObjectsV2 ${this.bucket}/${prefix}*`);
    }
  }
}
