/**
 * What this process knows of each partition's index entries, sorted by offset, so a fetch needs
 * no manifest query for entries already seen. Entries are immutable once written (maintenance
 * replaces them under new keys and deletes the objects they pointed to: a reader that then
 * misses an object drops the partition's cached entries and asks the manifest again).
 * Bounded: at most `maxEntriesPerPartition` per partition and `maxPartitions` partitions.
 */
import type { IndexEntry } from "./model.js";

export class EntryCache {
  private readonly partitions = new Map<string, IndexEntry[]>();

  constructor(
    private readonly maxEntriesPerPartition = 4096,
    private readonly maxPartitions = 4096,
  ) {}

  /** The cached entry containing `offset`, if any. */
  find(pk: string, offset: number): IndexEntry | undefined {
    const list = this.partitions.get(pk);
    if (!list) return undefined;
    let lo = 0;
    let hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const e = list[mid]!;
      if (offset < e.baseOffset) hi = mid - 1;
      else if (offset > e.lastOffset) lo = mid + 1;
      else return e;
    }
    return undefined;
  }

  add(pk: string, entries: IndexEntry[]): void {
    if (entries.length === 0) return;
    let list = this.partitions.get(pk);
    if (!list) {
      list = [];
      this.partitions.set(pk, list);
      if (this.partitions.size > this.maxPartitions)
        this.partitions.delete(this.partitions.keys().next().value!);
    }
    for (const e of entries) {
      if (this.find(pk, e.baseOffset)) continue;
      let i = list.length;
      while (i > 0 && list[i - 1]!.baseOffset > e.baseOffset) i--;
      list.splice(i, 0, e);
    }
    if (list.length > this.maxEntriesPerPartition) list.splice(0, list.length - this.maxEntriesPerPartition);
  }

  forget(pk: string): void {
    this.partitions.delete(pk);
  }
}
