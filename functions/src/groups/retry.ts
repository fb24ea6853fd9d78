/**
 * Bounded retries for the group's conditional writes. A lost race (ConditionFailedError) or a
 * store fault (StoreUnavailableError: the write may or may not have landed) both mean "re-read and
 * decide again"; the callers' steps are written so that deciding again on a state that already
 * holds their own write does the right thing.
 */
import { FloeError } from "../../../client/src/errors.js";
import type { Clock } from "../ports/clock.js";
import { ConditionFailedError, StoreUnavailableError } from "../ports/manifest-store.js";

export interface RetryOptions {
  clock: Clock;
  random: () => number;
  /** Give up with `unavailable` once this much time has passed. */
  timeoutMs: number;
  /** Names the operation in the error message. */
  what: string;
}

/** Runs `attempt` until it returns; retries on lost races and store faults, with full jitter. */
export async function retrying<T>(options: RetryOptions, attempt: (retry: number) => Promise<T>): Promise<T> {
  const deadline = options.clock.now() + options.timeoutMs;
  let lastError: unknown;
  for (let retry = 0; retry === 0 || options.clock.now() < deadline; retry++) {
    if (retry > 0) {
      // Full jitter: contending agents spread out instead of colliding again in lock step.
      const capMs = Math.min(100, 2 ** Math.min(retry, 7));
      await options.clock.sleep(Math.floor(options.random() * capMs) + 1);
    }
    try {
      return await attempt(retry);
    } catch (error) {
      if (!(error instanceof ConditionFailedError) && !(error instanceof StoreUnavailableError)) throw error;
      lastError = error;
    }
  }
  const reason = lastError instanceof Error ? lastError.message : "no attempt completed";
  throw new FloeError(
    "unavailable",
    `${options.what} did not complete within ${options.timeoutMs} ms: ${reason}`,
    {},
    1,
  );
}
