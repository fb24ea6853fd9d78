import type { Clock } from "../../functions/src/ports/clock.js";

/**
 * A clock that only moves when told to, or when someone sleeps: sleeping advances time at once
 * (after yielding, so other tasks interleave). Backoffs and timeouts run instantly and replay
 * exactly for a given seed.
 */
export class FakeClock implements Clock {
  constructor(private t = 1_700_000_000_000) {}

  now(): number {
    return this.t;
  }

  advance(ms: number): void {
    this.t += ms;
  }

  async sleep(ms: number): Promise<void> {
    this.t += ms;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
