/**
 * An LRU of fetched byte ranges, bounded in bytes, with concurrent misses for the same range
 * coalesced into one load (a burst of consumers catching up on one partition costs one GET).
 * Each range is charged its bytes plus its key, the map entry and the typed array
 * (rangeChargeBytes, retained-size.ts), so the budget bounds what the cache keeps alive. A pure cache:
 * a miss is a ranged S3 GET. In-flight loads (`loading`) are bounded by the requests in flight.
 */
import { MAP_ENTRY_BYTES, stringBytes, TYPED_ARRAY_BYTES } from "./retained-size.js";

/** What one cached range is charged against the budget. */
export function rangeChargeBytes(key: string, value: Uint8Array): number {
  return value.byteLength + MAP_ENTRY_BYTES + TYPED_ARRAY_BYTES + stringBytes(key);
}
export interface RangeCacheStats {
  hits: number;
  misses: number;
  coalesced: number;
  evictions: number;
}

export class RangeCache {
  private readonly entries = new Map<string, Uint8Array>();
  private readonly loading = new Map<string, Promise<Uint8Array>>();
  private bytes = 0;
  readonly stats: RangeCacheStats = { hits: 0, misses: 0, coalesced: 0, evictions: 0 };

  constructor(readonly capacityBytes: number) {}

  get sizeBytes(): number {
    return this.bytes;
  }

  async get(key: string, load: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const hit = this.entries.get(key);
    if (hit) {
      this.stats.hits++;
      this.entries.delete(key);
      this.entries.set(key, hit); // most recently used last
      return hit;
    }
    const inflight = this.loading.get(key);
    if (inflight) {
      this.stats.coalesced++;
      return inflight;
    }
    this.stats.misses++;
    const promise = load().then(
      (value) => {
        this.loading.delete(key);
        this.put(key, value);
        return value;
      },
      (error: unknown) => {
        this.loading.delete(key);
        throw error;
      },
    );
    this.loading.set(key, promise);
    return promise;
  }

  put(key: string, value: Uint8Array): void {
    // Never let one range flush the whole cache; the read it came from is served all the same.
    if (rangeChargeBytes(key, value) > this.capacityBytes) return;
    this.delete(key);
    this.entries.set(key, value);
    this.bytes += rangeChargeBytes(key, value);
    while (this.bytes > this.capacityBytes) {
      const oldest = this.entries.entries().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value[0]);
      this.bytes -= rangeChargeBytes(oldest.value[0], oldest.value[1]);
      this.stats.evictions++;
    }
  }

  delete(key: string): void {
    const prior = this.entries.get(key);
    if (prior) {
      this.bytes -= rangeChargeBytes(key, prior);
      this.entries.delete(key);
    }
  }
}
