/**
 * A parse error on a pipelined request must not be answered while an earlier request of the same
 * connection still awaits its response. HTTP/1.1 answers requests in order, so the client takes
 * the first status line it reads for its FIRST request: before the fix the raw 400
 * `invalid_request` (side-effect free) was written at once, ahead of the pending response, so an
 * earlier produce still being committed could be reported as a definite failure (a false
 * definite failure), and its real answer was cut off when the socket closed. Now the connection
 * is reset instead: the earlier request's outcome is unknown to the client, which is the truth.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../../functions/src/adapters/memory/memory-object-store.js";
import { type RunningServer, startServer } from "../../../functions/src/agent/serve.js";
import { loadConfig } from "../../../functions/src/config.js";
import { createRuntime } from "../../../functions/src/runtime.js";

describe("review: a parse error behind a pipelined request", () => {
  let server: RunningServer;

  beforeAll(async () => {
    const runtime = createRuntime(loadConfig({}), {
      objects: new MemoryObjectStore(),
      manifest: new MemoryManifestStore(),
    });
    const created = await runtime.app.request("/v1/topics", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "t", partitions: 1 }),
    });
    expect(created.status).toBe(201);
    server = await startServer(runtime, "127.0.0.1", 0);
  });
  afterAll(async () => {
    await server.close();
  });

  it("is never answered in the place of the earlier request's response", async () => {
    // Prepare: a long poll on an empty partition (its answer comes only when the wait ends), then
    // a malformed request on the same connection, in one write.
    const socket = net.connect(server.port, "127.0.0.1");
    let reply = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (reply += chunk));
    socket.on("error", () => {});
    const closed = new Promise((r) => socket.on("close", r));
    // Act
    socket.write(
      "GET /v1/topics/t/partitions/0/records?offset=0&wait=2 HTTP/1.1\r\nHost: x\r\n\r\nFOO / HTTP/1.1\r\nHost: x\r\n\r\n",
    );
    await closed;
    // Assess: the first status line the client reads is the poll's own answer, or there is none
    // (reset: outcome unknown); never the parse error of the request behind it.
    const firstStatus = reply.split("\r\n", 1)[0] ?? "";
    expect(reply === "" || !/^HTTP\/1\.1 400 /.test(firstStatus)).toBe(true);
  });
});
