/**
 * A least-recently-used map bounded in bytes: each entry is charged `sizeOf(key, value)` (an
 * upper bound of what it keeps alive, retained-size.ts) and the least recently used entries go
 * until the total is within the budget. A value larger than the whole budget is not cached at all
 * (it would flush everything else and then be evicted itself). Only for caches: whatever is
 * stored here may vanish at any time, so nothing whose loss breaks correctness belongs in one.
 */
export class ByteLru<K, V> {
  private readonly entries = new Map<K, { value: V; bytes: number }>();
  private bytes = 0;
  evictions = 0;

  constructor(
    readonly capacityBytes: number,
    private readonly sizeOf: (key: K, value: V) => number,
  ) {}

  get sizeBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The value, now the most recently used. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** The value, without refreshing it. */
  peek(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Caches `value` as the most recently used; false when it is larger than the whole budget. */
  set(key: K, value: V): boolean {
    this.delete(key);
    const bytes = this.sizeOf(key, value);
    if (bytes > this.capacityBytes) return false;
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    while (this.bytes > this.capacityBytes) {
      const oldest = this.entries.entries().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value[0]);
      this.bytes -= oldest.value[1].bytes;
      this.evictions++;
    }
    return true;
  }

  delete(key: K): void {
    const prior = this.entries.get(key);
    if (prior === undefined) return;
    this.entries.delete(key);
    this.bytes -= prior.bytes;
  }

  keys(): IterableIterator<K> {
    return this.entries.keys();
  }

  /** Key and value pairs, least recently used first, without refreshing them. */
  *[Symbol.iterator](): IterableIterator<[K, V]> {
    for (const [key, entry] of this.entries) yield [key, entry.value];
  }
}
