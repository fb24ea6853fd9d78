/**
 * The fault-injecting fetch the client tests rely on: a seed must mean the same faults however
 * the concurrent calls interleave, or a loaded machine sees fewer faults than the test asserts.
 */
import { describe, expect, it } from "vitest";
import type { FetchFn } from "../../../client/src/sdk/transport.js";
import { faultPlan, faultyFetch } from "../faulty-fetch.js";

type Seen = "ok" | "refused" | "lost";

/** Starts `calls` requests at once; call i's server answers after `latencyMs(i)`. */
async function run(seed: number, calls: number, latencyMs: (i: number) => number): Promise<Seen[]> {
  const server: FetchFn = async (url) => {
    const i = Number(url.slice(url.lastIndexOf("/") + 1));
    await new Promise((r) => setTimeout(r, latencyMs(i)));
    return new Response("{}", { status: 200 });
  };
  const { fetch } = faultyFetch(seed, { loseResponse: 0.3, refuse: 0.3 }, undefined, server);
  return Promise.all(
    Array.from({ length: calls }, (_, i) =>
      fetch(`http://agent/records/${i}`, { method: "POST" }).then(
        (r): Seen => (r.status === 503 ? "refused" : "ok"),
        (): Seen => "lost",
      ),
    ),
  );
}

describe("faultyFetch", () => {
  it("gives the n-th call the same fate whatever order the calls finish in", async () => {
    // Prepare
    const seed = 11;
    const calls = 24;
    const planned = faultPlan(seed, { loseResponse: 0.3, refuse: 0.3 }, calls).map(
      (f): Seen => (f.refuse ? "refused" : f.loseResponse ? "lost" : "ok"),
    );
    // Act: the first call answers first, then the last call answers first.
    const inOrder = await run(seed, calls, (i) => i * 2);
    const reversed = await run(seed, calls, (i) => (calls - i) * 2);
    // Assess
    expect(planned).toContain("lost");
    expect(planned).toContain("refused");
    expect(inOrder).toEqual(planned);
    expect(reversed).toEqual(planned);
  });
});
