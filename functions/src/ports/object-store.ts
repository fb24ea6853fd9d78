/**
 * ObjectStore: the only way the engine touches S3. Objects are immutable and keys unique (the
 * writer never overwrites: s3rver ignores If-None-Match, so uniqueness comes from the key itself).
 */
export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, exclusive. */
  end: number;
}

export interface ObjectSummary {
  key: string;
  size: number;
  /** Milliseconds since the epoch. */
  lastModified: number;
}

export interface ListPage {
  objects: ObjectSummary[];
  /** Pass back as `cursor` to continue; absent on the last page. */
  cursor?: string;
}

export interface ObjectStore {
  /** Stores the object durably; resolves only once the store acknowledged it. */
  put(key: string, body: Uint8Array): Promise<void>;
  /** The whole object, or `range` of it with one ranged GET. Throws `ObjectNotFoundError`. */
  get(key: string, range?: ByteRange): Promise<Uint8Array>;
  /** Deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  list(prefix: string, options?: { cursor?: string; limit?: number }): Promise<ListPage>;
}

export class ObjectNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`object not found: ${key}`);
    this.name = "ObjectNotFoundError";
  }
}
