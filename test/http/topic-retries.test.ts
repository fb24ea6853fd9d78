/**
 * Create and delete retried after a lost reply (trust issue): with the same `Floe-Request-Id` the
 * retry answers as the first attempt did; without one, Kafka's answers (409 / 404) stay.
 */
import { describe, expect, it } from "vitest";
import { useStandIns } from "../support/standins.js";
import { type Backend, buildHarness, memoryBackend, standInBackend, topicName } from "./harness.js";

function retrySuite(backend: () => Backend) {
  const create = (h: Awaited<ReturnType<typeof buildHarness>>, name: string, id?: string, partitions = 2) =>
    h.json("POST", "/v1/topics", { name, partitions }, id ? { "Floe-Request-Id": id } : {});
  const remove = (h: Awaited<ReturnType<typeof buildHarness>>, name: string, id?: string) =>
    h.request(`/v1/topics/${name}`, { method: "DELETE", headers: id ? { "Floe-Request-Id": id } : {} });

  it("answers a retried create with the same request id 201, with the same topic", async () => {
    // Prepare
    const h = await buildHarness({ backend: backend() });
    const name = topicName();
    const first = await create(h, name, "req-1");
    // Act
    const retry = await create(h, name, "req-1");
    const other = await create(h, name, "req-2");
    const bare = await create(h, name);
    const changed = await create(h, name, "req-1", 3);
    // Assess
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect((await retry.json()).topic_id).toBe((await first.json()).topic_id);
    expect(other.status).toBe(409);
    expect(bare.status).toBe(409);
    expect(changed.status).toBe(409);
    h.close();
  });

  it("answers a retried delete with the same request id 204; others get 404", async () => {
    // Prepare
    const h = await buildHarness({ backend: backend() });
    const name = topicName();
    await create(h, name);
    const first = await remove(h, name, "del-1");
    // Act
    const retry = await remove(h, name, "del-1");
    const other = await remove(h, name, "del-2");
    const bare = await remove(h, name);
    // Assess
    expect(first.status).toBe(204);
    expect(retry.status).toBe(204);
    expect(other.status).toBe(404);
    expect(bare.status).toBe(404);
    h.close();
  });

  it("a delete retried after the name was created again does not delete the new topic", async () => {
    // Prepare
    const h = await buildHarness({ backend: backend() });
    const name = topicName();
    await create(h, name);
    expect((await remove(h, name, "del-1")).status).toBe(204);
    const again = await create(h, name, "req-2");
    // Act
    const lateRetry = await remove(h, name, "del-1");
    // Assess
    expect(lateRetry.status).toBe(204);
    const described = await h.request(`/v1/topics/${name}`);
    expect(described.status).toBe(200);
    expect((await described.json()).topic_id).toBe((await again.json()).topic_id);
    h.close();
  });

  it("refuses a malformed request id with 400 and changes nothing", async () => {
    // Prepare
    const h = await buildHarness({ backend: backend() });
    const name = topicName();
    // Act
    const res = await create(h, name, "has space");
    const long = await create(h, name, "x".repeat(129));
    // Assess
    expect(res.status).toBe(400);
    expect((await res.json()).error_code).toBe("invalid_request");
    expect(long.status).toBe(400);
    expect((await h.request(`/v1/topics/${name}`)).status).toBe(404);
    h.close();
  });
}

describe("topic create/delete retries over the in-memory adapters", () => {
  retrySuite(() => memoryBackend);
});

describe("topic create/delete retries over dynalite + s3rver", () => {
  const standIns = useStandIns();
  retrySuite(() => standInBackend(standIns));
});
