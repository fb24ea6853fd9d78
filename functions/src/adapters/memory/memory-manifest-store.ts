/**
 * An in-memory ManifestStore with DynamoDB's semantics for the operations the port allows: each
 * get/put/delete is atomic (condition check and write happen in one synchronous step after the
 * operation yields), queries are sorted by the UTF-8 bytes of the sort key, and a full page carries
 * a cursor even when nothing follows (DynamoDB returns LastEvaluatedKey whenever Limit is reached),
 * so callers tested here also handle the trailing empty page they will meet on AWS.
 *
 * Item data is validated and deep-copied in and out: nothing a caller holds aliases stored state.
 * Items over DynamoDB's 400 KB (counted as DynamoDB counts, store-rules.ts itemSizeBytes) are refused
 * with ItemTooLargeError, as DynamoManifestStore refuses them.
 */
import {
  ConditionFailedError,
  type ManifestItem,
  type ManifestStore,
  type QueryOptions,
  type QueryPage,
  type WriteCondition,
} from "../../ports/manifest-store.js";
import {
  checkItemKey,
  checkItemSize,
  checkQueryOptions,
  checkSafeInteger,
  compareUtf8,
  copyItemData,
  decodeManifestCursor,
  encodeManifestCursor,
} from "../store-rules.js";

/** Requests served, per kind (each counts as one DynamoDB request). */
export interface ManifestStoreStats {
  puts: number;
  gets: number;
  deletes: number;
  queries: number;
}

/** One partition key's items, with sort keys kept in order so a query is a binary search. */
interface Partition {
  sortKeys: string[];
  items: Map<string, ManifestItem>;
}

export class MemoryManifestStore implements ManifestStore {
  readonly stats: ManifestStoreStats = emptyStats();
  readonly #partitions = new Map<string, Partition>();

  async get(pk: string, sk: string): Promise<ManifestItem | undefined> {
    checkItemKey(pk, sk);
    await yieldTurn();
    this.stats.gets++;
    const item = this.#partitions.get(pk)?.items.get(sk);
    return item === undefined ? undefined : copyItem(item);
  }

  async put(item: ManifestItem, condition: WriteCondition): Promise<void> {
    checkItemKey(item.pk, item.sk);
    checkSafeInteger(item.version, "version");
    if (item.expiresAt !== undefined) checkSafeInteger(item.expiresAt, "expiresAt");
    // Copy before yielding: the request carries the item as it was when put was called.
    const stored = copyItem(item);
    // Refused before the condition is evaluated, as DynamoDB validates the request first.
    checkItemSize(stored);
    await yieldTurn();
    this.stats.puts++;
    const partition = this.#partition(item.pk);
    this.#check(condition, item.pk, item.sk, partition.items.get(item.sk));
    if (!partition.items.has(item.sk)) {
      partition.sortKeys.splice(lowerBound(partition.sortKeys, item.sk), 0, item.sk);
    }
    partition.items.set(item.sk, stored);
  }

  async delete(pk: string, sk: string, condition: WriteCondition = { kind: "none" }): Promise<void> {
    checkItemKey(pk, sk);
    await yieldTurn();
    this.stats.deletes++;
    const partition = this.#partitions.get(pk);
    const current = partition?.items.get(sk);
    this.#check(condition, pk, sk, current);
    if (partition === undefined || current === undefined) return;
    partition.items.delete(sk);
    partition.sortKeys.splice(lowerBound(partition.sortKeys, sk), 1);
    if (partition.items.size === 0) this.#partitions.delete(pk);
  }

  async query(pk: string, options: QueryOptions = {}): Promise<QueryPage> {
    if (typeof pk !== "string" || pk.length === 0) throw new TypeError("pk must be a non-empty string");
    checkQueryOptions(options);
    const after = options.cursor === undefined ? undefined : decodeManifestCursor(options.cursor, pk);
    await yieldTurn();
    this.stats.queries++;
    const partition = this.#partitions.get(pk);
    if (partition === undefined) return { items: [] };
    const keys = partition.sortKeys;

    // [from, to) is the slice of sort keys matching the key condition.
    let from = 0;
    let to = keys.length;
    const { gte, lte, prefix } = options;
    if (prefix !== undefined) {
      from = lowerBound(keys, prefix);
      // Keys sharing a prefix are contiguous in sorted order, starting at lowerBound(prefix).
      to = firstIndex(keys, from, (key) => !key.startsWith(prefix));
    }
    if (gte !== undefined) from = lowerBound(keys, gte);
    if (lte !== undefined) to = upperBound(keys, lte);
    // The cursor key itself may have been deleted since: continue strictly past it either way.
    if (after !== undefined && !options.reverse) from = Math.max(from, upperBound(keys, after.sk));
    if (after !== undefined && options.reverse) to = Math.min(to, lowerBound(keys, after.sk));

    const selected = options.reverse ? keys.slice(from, to).reverse() : keys.slice(from, to);
    const page = options.limit === undefined ? selected : selected.slice(0, options.limit);
    const items = page.map((sk) => copyItem(partition.items.get(sk)!));
    const last = items.at(-1);
    return options.limit !== undefined && items.length === options.limit && last !== undefined
      ? { items, cursor: encodeManifestCursor(last) }
      : { items };
  }

  /** Number of stored items across all partition keys (test assertions). */
  get size(): number {
    let n = 0;
    for (const partition of this.#partitions.values()) n += partition.items.size;
    return n;
  }

  resetStats(): void {
    Object.assign(this.stats, emptyStats());
  }

  #partition(pk: string): Partition {
    let partition = this.#partitions.get(pk);
    if (partition === undefined) {
      partition = { sortKeys: [], items: new Map() };
      this.#partitions.set(pk, partition);
    }
    return partition;
  }

  #check(condition: WriteCondition, pk: string, sk: string, current: ManifestItem | undefined): void {
    switch (condition.kind) {
      case "none":
        return;
      case "absent":
        if (current !== undefined) throw new ConditionFailedError(pk, sk);
        return;
      case "version":
        if (current === undefined || current.version !== condition.version) {
          throw new ConditionFailedError(pk, sk);
        }
        return;
    }
  }
}

function emptyStats(): ManifestStoreStats {
  return { puts: 0, gets: 0, deletes: 0, queries: 0 };
}

function copyItem(item: ManifestItem): ManifestItem {
  const copy: ManifestItem = {
    pk: item.pk,
    sk: item.sk,
    version: item.version,
    data: copyItemData(item.data),
  };
  if (item.expiresAt !== undefined) copy.expiresAt = item.expiresAt;
  return copy;
}

/** First index whose key is >= target. */
function lowerBound(keys: readonly string[], target: string): number {
  return firstIndex(keys, 0, (key) => compareUtf8(key, target) >= 0);
}

/** First index whose key is > target. */
function upperBound(keys: readonly string[], target: string): number {
  return firstIndex(keys, 0, (key) => compareUtf8(key, target) > 0);
}

/** Binary search for the first index >= from where a monotone predicate turns true. */
function firstIndex(keys: readonly string[], from: number, predicate: (key: string) => boolean): number {
  let lo = from;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (predicate(keys[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Every operation yields once, so concurrent callers interleave as they would over the network. */
function yieldTurn(): Promise<void> {
  return Promise.resolve();
}
