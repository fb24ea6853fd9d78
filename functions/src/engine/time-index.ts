/**
 * The time index: which index entry holds the answer to "the first offset whose timestamp is >= T"
 * (Kafka's ListOffsets by timestamp), found in a bounded number of manifest requests.
 *
 * Every entry stores `maxTimestampSoFar`, the partition's highest record timestamp up to and
 * including that entry (commit-plan.ts copies it from the head's running `lastTimestamp`: no extra
 * write). It never decreases along the offsets, so the entries with `maxTimestampSoFar >= T` are a
 * suffix of the log, and the first of them, F, is found by bisecting the offset range: each probe is
 * one Query (`sk <= e#<offset>`, reverse, limit 1) returning the entry that holds that offset, and
 * each probe at least halves the range. Every record before F has a timestamp < T (their running
 * max is < T), and F's own max is >= T (the running max rose to >= T inside F), so the answer is in
 * F whenever the record that lifted the running max is still live: exactly the earliest offset with
 * timestamp >= T, monotone timestamps or not.
 *
 * Cost: at most ceil(log2(high watermark - log start)) + 1 probes (<= 54 for any int53 offset).
 *
 * Entries written before the time index lack the field: a probe that meets one answers `legacy`,
 * and the caller walks linearly (by each entry's own max) past that run of old entries, then
 * bisects again from there. The extra cost is linear in the old entries only, which are no longer
 * written (and retention removes them), never in the length of the log written since.
 */
import type { IndexEntry, PartitionHead } from "./model.js";

/** One manifest Query: the entry with the highest base offset <= `offset`, if any. */
export type EntryProbe = (offset: number) => Promise<IndexEntry | undefined>;

export type TimeIndexResult =
  /** F: the first entry (holding offsets >= the log start) whose running max is >= T. */
  | { kind: "entry"; entry: IndexEntry }
  /** No entry reaches T: the answer is the high watermark. */
  | { kind: "none" }
  /** `entry`, without `maxTimestampSoFar`, was met: walk linearly past it, then bisect again. */
  | { kind: "legacy"; entry: IndexEntry };

/** Probes bisecting a range of `span` offsets: each at least halves it. */
export function timeIndexProbeBound(span: number): number {
  return span <= 1 ? 1 : Math.ceil(Math.log2(span)) + 1;
}

/** Whether `entry` tells that the answer is in it or before it (legacy: by its own max only). */
export function reaches(entry: IndexEntry, timestamp: number): boolean {
  return (entry.maxTimestampSoFar ?? entry.maxTimestamp) >= timestamp;
}

/**
 * Finds F for `timestamp` in `head`'s partition, among the entries holding offsets >= `from`
 * (the caller knows every record before `from` is older than T). The head's pending entries (the
 * latest commit, perhaps not yet written as items) are looked at in memory; the items are
 * bisected below them.
 */
export async function findTimestampEntry(
  head: PartitionHead,
  timestamp: number,
  probe: EntryProbe,
  from = head.logStartOffset,
): Promise<TimeIndexResult> {
  if (head.lastTimestamp < timestamp) return { kind: "none" };
  const pendingBase = head.pending[0]?.baseOffset ?? head.nextOffset;
  // Invariant: every entry holding an offset in [from, lo) has a running max < T;
  // `found` (if set) has a running max >= T and holds offset hi (or hi is at its base).
  let lo = Math.max(from, head.logStartOffset);
  let hi = Math.max(lo, pendingBase);
  let found: IndexEntry | undefined;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const entry = await probe(mid);
    if (entry === undefined || entry.lastOffset < lo) {
      // Nothing holds [lo, mid] (an entry removed below a moving log start): skip it.
      lo = mid + 1;
      continue;
    }
    if (entry.maxTimestampSoFar === undefined) return { kind: "legacy", entry };
    if (entry.maxTimestampSoFar >= timestamp) {
      found = entry;
      hi = entry.baseOffset;
    } else {
      lo = Math.max(entry.lastOffset, mid) + 1;
    }
  }
  if (found) return { kind: "entry", entry: found };
  for (const entry of head.pending) {
    if (entry.lastOffset < lo) continue;
    if (reaches(entry, timestamp)) return { kind: "entry", entry };
  }
  return { kind: "none" };
}
