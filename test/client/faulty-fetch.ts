/**
 * Fetch wrappers that inject the faults a client must survive, against a real agent:
 * "forward the request, then lose the response" (the write happened, the client cannot know)
 * and "refuse before forwarding" (503 with nothing written). Seeded, so a failure replays.
 *
 * The n-th matching call's fate (its delay, refused or not, response lost or not) is drawn in
 * full when the call starts, so it depends only on the seed and n, never on how concurrent calls
 * interleave. Drawing at each await instead let a slow machine hand the draws out in another
 * order, so a seed's number of faults changed from run to run.
 */
import type { FetchFn } from "../../client/src/sdk/transport.js";
import { seededRandom } from "../support/faults.js";

export interface FaultStats {
  forwarded: number;
  lostResponses: number;
  refused: number;
}

export interface FaultRates {
  loseResponse: number;
  refuse?: number;
  maxDelayMs?: number;
}

/** The fate of one matching call. */
export interface CallFate {
  delayMs: number;
  refuse: boolean;
  loseResponse: boolean;
}

/**
 * The fates the seed gives the first `calls` matching calls, in call order: what `faultyFetch`
 * will do to them, whatever the timing.
 *
 * @example
 * const lostAtLeast = faultPlan(7, { loseResponse: 0.3 }, 10).filter((f) => f.loseResponse).length;
 */
export function faultPlan(seed: number, rates: FaultRates, calls: number): CallFate[] {
  const next = fateSource(seed, rates);
  return Array.from({ length: calls }, () => next());
}

function fateSource(seed: number, rates: FaultRates): () => CallFate {
  const random = seededRandom(seed);
  return () => {
    // Always three draws, so one call's fate never shifts the next one's.
    const delay = random();
    const refuse = random() < (rates.refuse ?? 0);
    const lose = random() < rates.loseResponse;
    return {
      delayMs: Math.floor(delay * (rates.maxDelayMs ?? 0)),
      refuse,
      loseResponse: !refuse && lose,
    };
  };
}

export function faultyFetch(
  seed: number,
  rates: FaultRates,
  only: (url: string, init: RequestInit) => boolean = (_url, init) => init.method === "POST",
  inner: FetchFn = (url, init) => fetch(url, init),
): { fetch: FetchFn; stats: FaultStats } {
  const nextFate = fateSource(seed, rates);
  const stats: FaultStats = { forwarded: 0, lostResponses: 0, refused: 0 };
  const wrapped: FetchFn = async (url, init) => {
    if (!only(url, init)) return inner(url, init);
    const fate = nextFate();
    if (fate.delayMs > 0) await new Promise((r) => setTimeout(r, fate.delayMs));
    if (fate.refuse) {
      stats.refused++;
      return new Response(
        JSON.stringify({ error_code: "unavailable", message: "injected: refused", retriable: true }),
        {
          status: 503,
          headers: { "Content-Type": "application/json", "Retry-After": "0" },
        },
      );
    }
    const response = await inner(url, init);
    stats.forwarded++;
    if (fate.loseResponse) {
      await response.arrayBuffer();
      stats.lostResponses++;
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("injected: response lost"), { code: "ECONNRESET" }),
      });
    }
    return response;
  };
  return { fetch: wrapped, stats };
}
