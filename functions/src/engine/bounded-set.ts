/**
 * A set bounded in bytes that forgets its least recently added members past the budget (memory
 * is bounded everywhere). Only for knowledge that is safe to lose, like "this entry is known to
 * be written": forgetting costs a re-check, never correctness.
 */
import { ByteLru } from "./byte-lru.js";
import { MAP_ENTRY_BYTES, retainedBytes } from "./retained-size.js";

export class BoundedSet<T> {
  private readonly items: ByteLru<T, true>;

  constructor(capacityBytes: number, sizeOf: (value: T) => number = retainedBytes) {
    this.items = new ByteLru(capacityBytes, (value) => MAP_ENTRY_BYTES + sizeOf(value));
  }

  get sizeBytes(): number {
    return this.items.sizeBytes;
  }

  get capacityBytes(): number {
    return this.items.capacityBytes;
  }

  has(value: T): boolean {
    return this.items.has(value);
  }

  add(value: T): void {
    this.items.set(value, true);
  }
}
