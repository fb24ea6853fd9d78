/**
 * The process-wide budget of request bytes in flight on the Kafka listener: a frame's bytes are
 * reserved once its size is known (before the rest of it is buffered) and released once its
 * response has been handed to the socket. Per-connection bounds (frame size, 32 unanswered
 * requests) still let 1024 connections hold 1024 × 32 large frames; this caps their sum.
 *
 * A connection whose next frame does not fit stops reading (TCP back-pressure, as connection.ts
 * does for its own bounds) and is woken when bytes are released. A frame is always admitted when
 * nothing is reserved, so one frame larger than the budget cannot wedge the listener.
 */
export class FrameBudget {
  private reservedBytes = 0;
  private readonly waiters = new Set<() => void>();

  constructor(readonly bytesMax: number) {}

  get reserved(): number {
    return this.reservedBytes;
  }

  /** Connections waiting for bytes (tests, metrics). */
  get waiting(): number {
    return this.waiters.size;
  }

  tryReserve(bytes: number): boolean {
    if (this.reservedBytes > 0 && this.reservedBytes + bytes > this.bytesMax) return false;
    this.reservedBytes += bytes;
    return true;
  }

  release(bytes: number): void {
    if (bytes <= 0) return;
    // Never below zero: a bookkeeping slip must not make the budget unbounded (nor crash the
    // listener from inside a socket callback); frame-budget tests pin the exact accounting.
    this.reservedBytes = Math.max(0, this.reservedBytes - bytes);
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
  }

  /** `wake` runs once, at the next release; `cancel` forgets it (a closed connection). */
  waitForRelease(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }
}
