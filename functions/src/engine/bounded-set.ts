/** A set that forgets its oldest members beyond `capacity` (memory is bounded everywhere). */
export class BoundedSet<T> {
  private readonly items = new Set<T>();

  constructor(private readonly capacity: number) {}

  has(value: T): boolean {
    return this.items.has(value);
  }

  add(value: T): void {
    this.items.delete(value);
    this.items.add(value);
    if (this.items.size > this.capacity) {
      const oldest = this.items.values().next();
      if (!oldest.done) this.items.delete(oldest.value);
    }
  }
}
