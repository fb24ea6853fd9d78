/**
 * In-process fixes for two s3rver 3.7 bugs the engine would otherwise trip over. Both are applied
 * by `startStandIns`; neither changes anything on AWS, where these code paths do not exist.
 *
 * 1. Paginated ListObjectsV2 fails on Node ≥ 17 without `--openssl-legacy-provider`.
 *
 * Why it fails: s3rver 3.7 (lib/controllers/bucket.js) builds every NextContinuationToken with
 * `crypto.createCipheriv('des', ...)` and decodes incoming tokens with `createDecipheriv('des')`.
 * OpenSSL 3 moved single DES into the "legacy" provider, which Node does not load by default, so
 * both calls throw `error:0308010C:digital envelope routines::unsupported` and any listing that
 * is truncated (more keys than max-keys) — or continues one — answers 500. The only other fix is
 * starting the whole process with `NODE_OPTIONS=--openssl-legacy-provider`.
 *
 * What this does instead: wraps the controller's `getBucket` export, which the router calls
 * through the module object on each request (`bucketCtrl.getBucket(ctx)`), so the wrapper runs
 * after authentication (the signed query string is untouched) and before the DES code:
 * - an incoming continuation token (ours: base64url of "bucket/last key") becomes `start-after`;
 * - the store is asked as usual but told to report "not truncated", so s3rver never calls DES;
 * - the wrapper then puts IsTruncated and a token of its own back into the response.
 * Tokens stay opaque to clients, so the SDK and the aws CLI paginate as they do against S3.
 */
import { createReadStream, type ReadStream } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** The slice of a Koa context this wrapper reads and writes. */
interface ListContext {
  query: Record<string, string | string[] | undefined>;
  params: { bucket: string };
  body: unknown;
  store: ListStore;
}

interface ListStore {
  listObjects(
    bucket: string,
    options: object,
  ): Promise<{ objects: Array<{ key: string }>; isTruncated: boolean }>;
}

interface BucketController {
  getBucket: (ctx: ListContext) => Promise<void>;
  [PATCHED]?: true;
}

type S3ErrorConstructor = new (code: string, message: string, detail?: object) => Error;

const PATCHED = Symbol.for("floe.s3rver-patched");

/** Idempotent; call before serving requests. Throws if s3rver's layout is not the one above. */
export function patchS3rverListing(): void {
  const controller = require("s3rver/lib/controllers/bucket.js") as BucketController;
  const S3Error = require("s3rver/lib/models/error.js") as S3ErrorConstructor;
  if (typeof controller.getBucket !== "function") {
    throw new Error(
      "s3rver layout changed (no controllers/bucket.js getBucket): run with NODE_OPTIONS=--openssl-legacy-provider instead",
    );
  }
  if (controller[PATCHED]) return;
  const original = controller.getBucket;

  controller.getBucket = async function getBucketWithPortableTokens(ctx: ListContext): Promise<void> {
    if (ctx.query["list-type"] !== "2") return original(ctx);
    const bucket = ctx.params.bucket;
    const token = firstValue(ctx.query["continuation-token"]);
    if (token !== undefined && token !== "") {
      const startAfter = decodeToken(token, bucket);
      if (startAfter === undefined) {
        throw new S3Error("InvalidArgument", "The continuation token provided is incorrect", {
          ArgumentName: "continuation-token",
        });
      }
      const { "continuation-token": _dropped, ...rest } = ctx.query;
      ctx.query = { ...rest, "start-after": startAfter };
    }

    let truncated = false;
    let lastKey: string | undefined;
    const store = ctx.store;
    ctx.store = {
      async listObjects(name, options) {
        const result = await store.listObjects(name, options);
        truncated = result.isTruncated;
        lastKey = result.objects.at(-1)?.key;
        return { ...result, isTruncated: false };
      },
    };
    await original(ctx);

    const listing = listBucketResult(ctx.body);
    if (listing === undefined) return;
    if (token !== undefined && token !== "") {
      listing.ContinuationToken = token;
      listing.StartAfter = undefined;
    }
    if (truncated && lastKey !== undefined) {
      listing.IsTruncated = true;
      listing.NextContinuationToken = encodeToken(bucket, lastKey);
    }
  };
  controller[PATCHED] = true;
}

function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function encodeToken(bucket: string, lastKey: string): string {
  return Buffer.from(`${bucket}/${lastKey}`, "utf8").toString("base64url");
}

/** The key to start after, or undefined when the token was not issued for this bucket. */
function decodeToken(token: string, bucket: string): string | undefined {
  const text = Buffer.from(token, "base64url").toString("utf8");
  return text.startsWith(`${bucket}/`) && text.length > bucket.length + 1
    ? text.slice(bucket.length + 1)
    : undefined;
}

function listBucketResult(body: unknown): Record<string, unknown> | undefined {
  if (typeof body !== "object" || body === null || !("ListBucketResult" in body)) return undefined;
  const listing = body.ListBucketResult;
  return typeof listing === "object" && listing !== null ? (listing as Record<string, unknown>) : undefined;
}

/**
 * 2. Ranged GETs that start at byte 0 and end at byte 0, or ask for any range of an empty object.
 *
 * s3rver's FilesystemStore.getObject computes `end: options.end || Infinity`, so `bytes=0-0` (the
 * first byte) returns the whole object under a 206; and on an empty object it announces one byte
 * (Content-Length 1) and sends none, leaving the client to time out. S3 answers one byte and 416
 * InvalidRange respectively; the wrapper below restores exactly that on this store instance.
 */
export function patchS3rverRanges(store: unknown): void {
  const target = store as RangeStore;
  if (typeof target.getObject !== "function" || typeof target.getResourcePath !== "function") {
    throw new Error(
      "s3rver layout changed (no FilesystemStore getObject/getResourcePath): cannot fix ranges",
    );
  }
  if (target[PATCHED]) return;
  const original = target.getObject.bind(target);
  target.getObject = async (bucket, key, options) => {
    const object = await original(bucket, key, options);
    if (object === null || object.range === undefined || options === undefined) return object;
    if (object.size === 0) {
      // No content with a range is s3rver's own signal for 416 InvalidRange.
      object.content?.destroy();
      object.content = null;
    } else if (options.start === 0 && options.end === 0) {
      object.content?.destroy();
      object.range = { start: 0, end: 0 };
      object.content = createReadStream(target.getResourcePath(bucket, key, "object"), { start: 0, end: 0 });
    }
    return object;
  };
  target[PATCHED] = true;
}

interface RangedObject {
  size: number;
  range?: { start: number; end: number };
  content: ReadStream | null;
}

interface RangeStore {
  getObject(
    bucket: string,
    key: string,
    options?: { start?: number; end?: number },
  ): Promise<RangedObject | null>;
  getResourcePath(bucket: string, key: string, resource: string): string;
  [PATCHED]?: true;
}
