/**
 * The SDK's createTopic / deleteTopic against a real agent whose first reply is lost after the
 * agent acted on the request (trust issue): both resolve, because the retry carries the same
 * `Floe-Request-Id` and the agent answers it as it answered the lost attempt.
 */
import { describe, expect, it } from "vitest";
import { FloeClient } from "../../client/src/index.js";
import type { FetchFn } from "../../client/src/sdk/transport.js";
import { topicName, useAgent } from "./agent.js";

const agent = useAgent();

/** Forwards every call; the reply of the first `lose` calls matching `only` is read and then lost. */
function losingFetch(lose: number, only: (url: string, init: RequestInit) => boolean) {
  const seen: { method: string; requestId: string | null }[] = [];
  let lost = 0;
  const wrapped: FetchFn = async (url, init) => {
    const response = await fetch(url, init);
    if (!only(url, init)) return response;
    seen.push({ method: init.method ?? "GET", requestId: new Headers(init.headers).get("floe-request-id") });
    if (lost >= lose) return response;
    lost++;
    await response.arrayBuffer();
    throw new TypeError("fetch failed", {
      cause: Object.assign(new Error("injected: response lost"), { code: "ECONNRESET" }),
    });
  };
  return { fetch: wrapped, seen };
}

describe("admin create and delete after a lost reply", () => {
  it("createTopic resolves although its first reply was lost", async () => {
    // Prepare
    const lossy = losingFetch(1, (url, init) => init.method === "POST" && url.endsWith("/v1/topics"));
    const client = new FloeClient({ url: agent().url, fetch: lossy.fetch });
    const name = topicName();
    // Act
    const created = await client.admin.createTopic(name, { partitions: 2 });
    // Assess
    expect(created.partitionCount).toBe(2);
    expect(lossy.seen).toHaveLength(2);
    expect(lossy.seen[0]!.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(lossy.seen[1]!.requestId).toBe(lossy.seen[0]!.requestId);
    expect((await client.admin.describeTopic(name)).partitionCount).toBe(2);
  });

  it("deleteTopic resolves although its first reply was lost", async () => {
    // Prepare
    const lossy = losingFetch(1, (_url, init) => init.method === "DELETE");
    const client = new FloeClient({ url: agent().url, fetch: lossy.fetch });
    const name = topicName();
    await client.admin.createTopic(name);
    // Act
    await client.admin.deleteTopic(name);
    // Assess
    expect(lossy.seen).toHaveLength(2);
    await expect(client.admin.describeTopic(name)).rejects.toMatchObject({ code: "topic_not_found" });
    // A new call is a new request: deleting what is gone is still 404.
    await expect(client.admin.deleteTopic(name)).rejects.toMatchObject({ code: "topic_not_found" });
  });
});
