/**
 * ManifestStore: the only way the engine touches DynamoDB. Deliberately small: single-item reads,
 * single-item conditional writes and one-partition-key range queries. The stand-in (dynalite) has
 * no transactions, no TTL and ignores ReturnValuesOnConditionCheckFailure, so the commit protocol
 * is built from exactly these operations and nothing else.
 *
 * Every item carries a `version`. A conditional put on `{ kind: "version" }` is compare-and-set on
 * it; the engine bumps the version on each write, so "the item is exactly as I read it" is one
 * condition whatever the item holds.
 */
export type ItemData = { [key: string]: unknown };

export interface ManifestItem {
  /** Partition key (e.g. `p#<topicId>#3`). */
  pk: string;
  /** Sort key (e.g. `head`, `e#00000000000000000042`). */
  sk: string;
  version: number;
  /** JSON-compatible attributes (stored as a native DynamoDB map on AWS). */
  data: ItemData;
  /** Epoch seconds after which DynamoDB TTL may delete the item (ignored by the stand-ins). */
  expiresAt?: number;
}

export type WriteCondition =
  /** Unconditional. */
  | { kind: "none" }
  /** The item must not exist (`attribute_not_exists(pk)`). */
  | { kind: "absent" }
  /** The item must exist with exactly this version. */
  | { kind: "version"; version: number };

export interface QueryOptions {
  /** Sort keys >= gte. */
  gte?: string;
  /** Sort keys <= lte. */
  lte?: string;
  /** Sort keys beginning with prefix (not combinable with gte/lte). */
  prefix?: string;
  /** Highest sort key first. */
  reverse?: boolean;
  /** At most this many items in this page. */
  limit?: number;
  cursor?: string;
}

export interface QueryPage {
  items: ManifestItem[];
  cursor?: string;
}

export interface ManifestStore {
  /** Strongly consistent read. */
  get(pk: string, sk: string): Promise<ManifestItem | undefined>;
  /** Throws `ConditionFailedError` when the condition does not hold; nothing is written then. */
  put(item: ManifestItem, condition: WriteCondition): Promise<void>;
  /** Throws `ConditionFailedError` when the condition does not hold. Deleting a missing item is fine. */
  delete(pk: string, sk: string, condition?: WriteCondition): Promise<void>;
  /** Strongly consistent, sorted by sort key. */
  query(pk: string, options?: QueryOptions): Promise<QueryPage>;
}

/**
 * The condition did not hold. NB: with a retried request (SDK retry after a lost response) the
 * write may in fact have been applied by the first attempt, so callers treat this as "someone wrote
 * this item" and re-read, never as "my write certainly failed".
 */
export class ConditionFailedError extends Error {
  constructor(
    readonly pk: string,
    readonly sk: string,
  ) {
    super(`condition failed on ${pk} / ${sk}`);
    this.name = "ConditionFailedError";
  }
}

/**
 * A store did not answer or answered with a transient failure (throttling, 5xx, reset, timeout).
 * For writes the outcome is unknown: the write may or may not have been applied.
 */
export class StoreUnavailableError extends Error {
  constructor(
    message: string,
    override readonly cause?: unknown,
  ) {
    super(message);
    this.name = "StoreUnavailableError";
  }
}

/**
 * The item is larger than DynamoDB's 400 KB item limit (DynamoDB answers ValidationException
 * "Item size has exceeded the maximum allowed size"); nothing was written. Both adapters check
 * it before sending, with the same size rule (store-rules.ts itemSizeBytes), so code tested on
 * the in-memory store meets the same refusal as on AWS. Callers keep items under their own
 * budgets (docs/design/manifest.md § Item budgets); reaching this is a bug in that budget.
 */
export class ItemTooLargeError extends Error {
  constructor(
    readonly pk: string,
    readonly sk: string,
    readonly sizeBytes: number | undefined,
    readonly limitBytes: number,
  ) {
    super(
      `item ${pk} / ${sk} is ${sizeBytes === undefined ? "over the limit" : `${sizeBytes} bytes`}: DynamoDB stores at most ${limitBytes} bytes per item`,
    );
    this.name = "ItemTooLargeError";
  }
}
