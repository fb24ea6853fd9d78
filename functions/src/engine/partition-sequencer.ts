/**
 * Orders this process's commits per partition in flush order. Flushes overlap (the next
 * object is uploaded while the previous one commits), but their commits to one partition must
 * not race each other: a race would only burn CAS retries, and, worse, could land a pipelined
 * idempotent producer's batch 2 before its batch 1 (an out_of_order_sequence it never caused).
 * A slot is taken synchronously when the flush starts, so order is arrival order.
 */
export interface SequencerSlot {
  /** Resolves when every earlier slot of the same partition is done. */
  ready: Promise<void>;
  done(): void;
}

export class PartitionSequencer {
  private readonly tails = new Map<string, Promise<void>>();

  enter(key: string): SequencerSlot {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const finished = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => finished);
    this.tails.set(key, tail);
    return {
      ready: previous,
      done: () => {
        release();
        // Drop the chain once nothing queues behind it, so the map stays bounded by activity.
        void tail.then(() => {
          if (this.tails.get(key) === tail) this.tails.delete(key);
        });
      },
    };
  }
}
