/**
 * What this process knows of each partition's index entries, sorted by offset, so a fetch needs
 * no manifest query for entries already seen. Entries are immutable once written (maintenance
 * replaces them under new keys and deletes the objects they pointed to: a reader that then
 * misses an object drops the partition's cached entries and asks the manifest again).
 *
 * Bounded in bytes (retained-size.ts estimates, an upper bound): past the budget the least
 * recently used partition goes first; when the partition being added to is the only one left,
 * its lowest offsets go (tailing readers want the newest). A pure cache: a miss costs a manifest
 * query, never correctness.
 */
import type { IndexEntry } from "./model.js";
import { MAP_ENTRY_BYTES, retainedBytes, stringBytes } from "./retained-size.js";

/** Pointer slot of an entry in its partition's sorted array. */
const SLOT_BYTES = 8;
const LIST_BYTES = 64;

interface CachedPartition {
  list: IndexEntry[];
  /** Parallel to `list`: what each entry was charged. */
  charges: number[];
  bytes: number;
}

export class EntryCache {
  private readonly partitions = new Map<string, CachedPartition>();
  private bytes = 0;

  constructor(readonly capacityBytes: number) {}

  get sizeBytes(): number {
    return this.bytes;
  }

  /** The cached entry containing `offset`, if any; a hit makes the partition most recently used. */
  find(pk: string, offset: number): IndexEntry | undefined {
    const cached = this.partitions.get(pk);
    if (!cached) return undefined;
    const index = indexOf(cached.list, offset);
    if (index < 0) return undefined;
    this.partitions.delete(pk);
    this.partitions.set(pk, cached);
    return cached.list[index];
  }

  add(pk: string, entries: IndexEntry[]): void {
    if (entries.length === 0) return;
    const overhead = MAP_ENTRY_BYTES + stringBytes(pk) + LIST_BYTES;
    let cached = this.partitions.get(pk);
    if (cached) {
      this.partitions.delete(pk);
    } else {
      cached = { list: [], charges: [], bytes: overhead };
      this.bytes += cached.bytes;
    }
    this.partitions.set(pk, cached);
    for (const e of entries) {
      if (indexOf(cached.list, e.baseOffset) >= 0) continue;
      const charge = SLOT_BYTES + retainedBytes(e);
      if (overhead + charge > this.capacityBytes) continue; // could never fit: not cached
      let i = cached.list.length;
      while (i > 0 && cached.list[i - 1]!.baseOffset > e.baseOffset) i--;
      cached.list.splice(i, 0, e);
      cached.charges.splice(i, 0, charge);
      cached.bytes += charge;
      this.bytes += charge;
    }
    if (cached.list.length === 0) this.forget(pk);
    else this.evict(pk);
  }

  forget(pk: string): void {
    const cached = this.partitions.get(pk);
    if (!cached) return;
    this.partitions.delete(pk);
    this.bytes -= cached.bytes;
  }

  private evict(current: string): void {
    while (this.bytes > this.capacityBytes) {
      const [oldest, cached] = this.partitions.entries().next().value!;
      if (oldest !== current) {
        this.forget(oldest);
        continue;
      }
      const charge = cached.charges.shift();
      cached.list.shift();
      if (charge === undefined) {
        this.forget(oldest);
        return;
      }
      cached.bytes -= charge;
      this.bytes -= charge;
    }
  }
}

function indexOf(list: readonly IndexEntry[], offset: number): number {
  let lo = 0;
  let hi = list.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const e = list[mid]!;
    if (offset < e.baseOffset) hi = mid - 1;
    else if (offset > e.lastOffset) lo = mid + 1;
    else return mid;
  }
  return -1;
}
