/**
 * An in-memory ObjectStore with S3's semantics, for unit tests, simulations and benchmarks. Bodies
 * are copied in and out, so a caller mutating a buffer after `put` (or a returned buffer) can never
 * change stored state — S3 would not let it either.
 */
import { type Clock, systemClock } from "../../ports/clock.js";
import {
  type ByteRange,
  type ListPage,
  ObjectNotFoundError,
  type ObjectStore,
  type ObjectSummary,
} from "../../ports/object-store.js";
import {
  checkByteRange,
  checkListLimit,
  checkObjectKey,
  compareUtf8,
  LIST_LIMIT_MAX,
} from "../store-rules.js";

/** Requests served, per kind (each counts as one S3 request), and payload bytes moved. */
export interface ObjectStoreStats {
  puts: number;
  gets: number;
  deletes: number;
  lists: number;
  bytesPut: number;
  bytesGot: number;
}

interface StoredObject {
  body: Uint8Array;
  lastModified: number;
}

export interface MemoryObjectStoreOptions {
  /** Stamps `lastModified`; pass a fake clock to test grace periods. */
  clock?: Clock;
}

export class MemoryObjectStore implements ObjectStore {
  readonly stats: ObjectStoreStats = emptyStats();
  readonly #objects = new Map<string, StoredObject>();
  readonly #clock: Clock;

  constructor(options: MemoryObjectStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    checkObjectKey(key);
    // Copy before yielding: S3 has the bytes once the request is sent.
    const copy = new Uint8Array(body);
    await yieldTurn();
    this.stats.puts++;
    this.stats.bytesPut += copy.byteLength;
    // Overwrites, as S3 does without If-None-Match: key uniqueness is the writer's job.
    this.#objects.set(key, { body: copy, lastModified: this.#clock.now() });
  }

  async get(key: string, range?: ByteRange): Promise<Uint8Array> {
    checkObjectKey(key);
    if (range !== undefined) checkByteRange(range);
    await yieldTurn();
    this.stats.gets++;
    const stored = this.#objects.get(key);
    if (stored === undefined) throw new ObjectNotFoundError(key);
    const size = stored.body.byteLength;
    if (range !== undefined && range.end > size) {
      // The S3 adapter sees a short (or 416) answer here; both refuse rather than return less.
      throw new Error(`range [${range.start}, ${range.end}) is outside ${key} (${size} bytes)`);
    }
    const bytes = range === undefined ? stored.body.slice() : stored.body.slice(range.start, range.end);
    this.stats.bytesGot += bytes.byteLength;
    return bytes;
  }

  async delete(key: string): Promise<void> {
    checkObjectKey(key);
    await yieldTurn();
    this.stats.deletes++;
    this.#objects.delete(key);
  }

  async list(prefix: string, options: { cursor?: string; limit?: number } = {}): Promise<ListPage> {
    const limit = options.limit ?? LIST_LIMIT_MAX;
    checkListLimit(limit);
    const startAfter = options.cursor === undefined ? undefined : decodeListCursor(options.cursor);
    await yieldTurn();
    this.stats.lists++;
    const keys = [...this.#objects.keys()]
      .filter(
        (key) => key.startsWith(prefix) && (startAfter === undefined || compareUtf8(key, startAfter) > 0),
      )
      .sort(compareUtf8);
    const objects: ObjectSummary[] = keys.slice(0, limit).map((key) => {
      const stored = this.#objects.get(key)!;
      return { key, size: stored.body.byteLength, lastModified: stored.lastModified };
    });
    const last = objects.at(-1);
    // Like S3's IsTruncated: a cursor only when more keys follow.
    return keys.length > limit && last !== undefined
      ? { objects, cursor: encodeListCursor(last.key) }
      : { objects };
  }

  /** Number of stored objects (test assertions). */
  get size(): number {
    return this.#objects.size;
  }

  resetStats(): void {
    Object.assign(this.stats, emptyStats());
  }
}

function emptyStats(): ObjectStoreStats {
  return { puts: 0, gets: 0, deletes: 0, lists: 0, bytesPut: 0, bytesGot: 0 };
}

function encodeListCursor(lastKey: string): string {
  return Buffer.from(lastKey, "utf8").toString("base64url");
}

function decodeListCursor(cursor: string): string {
  const key = Buffer.from(cursor, "base64url").toString("utf8");
  if (key.length === 0) throw new TypeError("list: malformed cursor");
  return key;
}

/** Every operation yields once, so concurrent callers interleave as they would over the network. */
function yieldTurn(): Promise<void> {
  return Promise.resolve();
}
