import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../../functions/src/adapters/memory/memory-object-store.js";
import { startServer } from "../../../functions/src/agent/serve.js";
import { loadConfig } from "../../../functions/src/config.js";
import { createRuntime } from "../../../functions/src/runtime.js";

const timers = () => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;

describe("startServer", () => {
  it("leaves no timer behind once closed", async () => {
    // Prepare
    const runtime = createRuntime(loadConfig({}), {
      objects: new MemoryObjectStore(),
      manifest: new MemoryManifestStore(),
    });
    const before = timers();
    const server = await startServer(runtime, "127.0.0.1", 0);
    // Act
    await server.close();
    // Assess: nothing keeps the process alive after a graceful stop
    expect(timers()).toBe(before);
  });
});

describe("/healthz while draining", () => {
  it("answers 503 unavailable (status draining) once the runtime drains, so balancers stop sending", async () => {
    // Prepare
    const runtime = createRuntime(loadConfig({}), {
      objects: new MemoryObjectStore(),
      manifest: new MemoryManifestStore(),
    });
    const before = await runtime.app.request("/healthz");
    // Act
    await runtime.drain();
    const during = await runtime.app.request("/healthz");
    // Assess
    expect(before.status).toBe(200);
    expect(during.status).toBe(503);
    expect(during.headers.get("retry-after")).toBe("1");
    expect(await during.json()).toMatchObject({
      error_code: "unavailable",
      retriable: true,
      status: "draining",
    });
  });
});
