/**
 * The engine's view of DynamoDB item sizes, for byte budgets (the partition head's, head-budget.ts).
 * One rule for the whole code base: the sizes come from adapters/store-rules.ts, which both
 * manifest adapters also use to refuse items over DynamoDB's limit, so a budget computed here can
 * never disagree with what a store accepts.
 */
import {
  ITEM_BYTES_MAX,
  itemSizeBytes,
  numberBytes,
  utf8Bytes,
  valueBytes,
} from "../adapters/store-rules.js";

export { numberBytes, utf8Bytes, valueBytes };

/** DynamoDB refuses an item above 400 KB (409,600 bytes). */
export const DYNAMODB_ITEM_BYTES_MAX = ITEM_BYTES_MAX;

/** The size of a manifest item as the adapters store it (`pk`, `sk`, `v`, `d`, `ttl`). */
export const manifestItemBytes = itemSizeBytes;

/** What one member adds to the map holding it: its 1-byte overhead, its name and its value. */
export function mapMemberBytes(name: string, value: unknown): number {
  return 1 + utf8Bytes(name) + valueBytes(value);
}

/** What one element adds to the list holding it. */
export function listElementBytes(value: unknown): number {
  return 1 + valueBytes(value);
}
