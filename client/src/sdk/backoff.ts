/** Retry pacing shared by the producer, the consumer and the group member. */
import { FloeError } from "../errors.js";

export interface BackoffOptions {
  /** First delay. Default 100 ms (Kafka's retry.backoff.ms). */
  initialMs?: number;
  /** Ceiling. Default 1 s (Kafka's retry.backoff.max.ms). */
  maxMs?: number;
}

/**
 * Delay before retry number `attempt` (1-based): exponential with ±20 % jitter, so clients that
 * failed together do not retry together; a server's `Retry-After` is a floor.
 *
 * @example
 * await sleep(backoffMs(attempt, error));
 */
export function backoffMs(
  attempt: number,
  error: unknown,
  options: BackoffOptions = {},
  random = Math.random,
): number {
  const initial = options.initialMs ?? 100;
  const max = options.maxMs ?? 1_000;
  const base = Math.min(max, initial * 2 ** Math.max(0, attempt - 1));
  const jittered = base * (0.8 + 0.4 * random());
  const floor =
    error instanceof FloeError && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : 0;
  return Math.round(Math.max(jittered, Math.min(floor, 30_000)));
}

/**
 * Resolves after `ms`, or at once when `signal` aborts (callers check the signal themselves).
 *
 * @example
 * await sleep(250);
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** True when `error` says the request may or may not have taken effect. */
export function outcomeUnknown(error: unknown): boolean {
  return error instanceof FloeError && !error.sideEffectFree;
}
