/**
 * Fetch wrappers that inject the faults a client must survive, against a real agent:
 * "forward the request, then lose the response" (the write happened, the client cannot know)
 * and "refuse before forwarding" (503 with nothing written). Seeded, so a failure replays.
 */
import type { FetchFn } from "../../client/src/sdk/transport.js";
import { seededRandom } from "../support/faults.js";

export interface FaultStats {
  forwarded: number;
  lostResponses: number;
  refused: number;
}

export function faultyFetch(
  seed: number,
  rates: { loseResponse: number; refuse?: number; maxDelayMs?: number },
  only: (url: string, init: RequestInit) => boolean = (_url, init) => init.method === "POST",
): { fetch: FetchFn; stats: FaultStats } {
  const random = seededRandom(seed);
  const stats: FaultStats = { forwarded: 0, lostResponses: 0, refused: 0 };
  const wrapped: FetchFn = async (url, init) => {
    if (!only(url, init)) return fetch(url, init);
    if (rates.maxDelayMs) await new Promise((r) => setTimeout(r, Math.floor(random() * rates.maxDelayMs!)));
    if (random() < (rates.refuse ?? 0)) {
      stats.refused++;
      return new Response(
        JSON.stringify({ error_code: "unavailable", message: "injected: refused", retriable: true }),
        {
          status: 503,
          headers: { "Content-Type": "application/json", "Retry-After": "0" },
        },
      );
    }
    const response = await fetch(url, init);
    stats.forwarded++;
    if (random() < rates.loseResponse) {
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
