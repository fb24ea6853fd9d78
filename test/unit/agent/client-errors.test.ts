/**
 * Requests Node's HTTP parser refuses, sent as raw bytes to the real server (startServer on port
 * 0): each gets its documented status with the error table's JSON and `Connection: close`, not
 * Node's empty reply. Clients that disconnect mid-request or mid-reply are expected and never
 * logged as an "unexpected error" with a stack.
 */
import net from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { ERROR_TABLE, isErrorCode } from "../../../client/src/errors.js";
import { MemoryManifestStore } from "../../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../../functions/src/adapters/memory/memory-object-store.js";
import { parserErrorReply } from "../../../functions/src/agent/client-errors.js";
import { type RunningServer, startServer } from "../../../functions/src/agent/serve.js";
import { loadConfig } from "../../../functions/src/config.js";
import { createRuntime } from "../../../functions/src/runtime.js";

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}
function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Sends raw bytes, returns everything the server wrote before closing the connection. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => socket.write(bytes));
    let reply = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (reply += chunk));
    socket.on("close", () => resolve(reply));
    socket.on("error", reject);
  });
}

function parseReply(raw: string): { status: number; headers: Map<string, string>; body: string } {
  const split = raw.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = raw.slice(0, split).split("\r\n");
  const headers = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(":");
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { status: Number(statusLine!.split(" ")[1]), headers, body: raw.slice(split + 4) };
}

/** Event-loop turns (no timers): lets already-queued callbacks, e.g. a late log, run. */
async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

describe("requests Node's HTTP parser refuses", () => {
  let server: RunningServer;
  const logged: string[] = [];
  /** Calls of the app's fetch a test waits for: `started` when one reached the app, `done` when it settled. */
  const pending: { started: Deferred; done: Deferred }[] = [];
  const expectCall = () => {
    const call = { started: deferred(), done: deferred() };
    pending.push(call);
    return call;
  };

  beforeAll(async () => {
    for (const level of ["error", "warn", "info", "log", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => {
        logged.push(`${level}: ${args.map(String).join(" ")}`);
      });
    }
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
    const fetch = runtime.app.fetch;
    runtime.app.fetch = async (...args: Parameters<typeof fetch>) => {
      const call = pending.shift();
      call?.started.resolve();
      try {
        return await fetch(...args);
      } finally {
        call?.done.resolve();
      }
    };
    server = await startServer(runtime, "127.0.0.1", 0);
  });
  afterEach(() => {
    logged.length = 0;
  });
  afterAll(async () => {
    await server.close();
    vi.restoreAllMocks();
  });

  const cases: [string, string, number, string][] = [
    [
      "an oversized header",
      `GET /v1/topics HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      431,
      "headers_too_large",
    ],
    [
      "an oversized URL",
      `GET /v1/topics/${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      414,
      "url_too_long",
    ],
    ["an unknown method", "FOO /v1/topics HTTP/1.1\r\nHost: x\r\n\r\n", 400, "invalid_request"],
    ["a malformed request line", "GET/v1/topics\r\n\r\n", 400, "invalid_request"],
    ["a request line without a version", "GET /v1/topics HTTP/9\r\nHost: x\r\n\r\n", 400, "invalid_request"],
    [
      "both Content-Length and Transfer-Encoding",
      "POST /v1/topics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      400,
      "invalid_request",
    ],
    [
      "a header without a colon",
      "GET /v1/topics HTTP/1.1\r\nHost: x\r\nBroken\r\n\r\n",
      400,
      "invalid_request",
    ],
  ];

  it.each(cases)("%s gets the table's JSON", async (_name, bytes, status, code) => {
    // Act
    const reply = parseReply(await exchange(server.port, bytes));
    // Assess
    expect(reply.status).toBe(status);
    expect(reply.headers.get("content-type")).toBe("application/json");
    expect(reply.headers.get("connection")).toBe("close");
    expect(Number(reply.headers.get("content-length"))).toBe(Buffer.byteLength(reply.body));
    const body = JSON.parse(reply.body) as { error_code: unknown; message: unknown; retriable: unknown };
    expect(isErrorCode(body.error_code)).toBe(true);
    expect(body.error_code).toBe(code);
    expect(ERROR_TABLE[code as keyof typeof ERROR_TABLE].status).toBe(status);
    expect(typeof body.message).toBe("string");
    expect(body.retriable).toBe(false);
    expect(logged).toEqual([]);
  });

  it("a client that disconnects in the middle of its request body is not an unexpected error", async () => {
    // Prepare
    const call = expectCall();
    const socket = net.connect(server.port, "127.0.0.1");
    const closed = new Promise((r) => socket.on("close", r));
    socket.on("error", () => {});
    socket.write(
      'POST /v1/topics/t/partitions/0/records HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"records":',
    );
    await call.started.promise;
    // Act
    socket.destroy();
    await closed;
    await call.done.promise;
    await settle();
    // Assess
    expect(logged.filter((line) => /unexpected|\n\s+at /.test(line))).toEqual([]);
    expect(logged.length).toBeLessThanOrEqual(1);
  });

  it("a client that disconnects from a streaming reply is not an unexpected error", async () => {
    // Prepare
    const socket = net.connect(server.port, "127.0.0.1");
    const gotHeaders = new Promise((r) => socket.once("data", r));
    const closed = new Promise((r) => socket.on("close", r));
    socket.on("error", () => {});
    socket.write(
      "GET /v1/topics/t/partitions/0/records?offset=0&wait=5 HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n",
    );
    await gotHeaders;
    // Act
    socket.destroy();
    await closed;
    // The server has noticed once it holds no connection any more.
    for (;;) {
      const open = await new Promise<number>((r, j) =>
        server.server.getConnections((e, n) => (e ? j(e) : r(n))),
      );
      if (open === 0) break;
      await settle(1);
    }
    await settle();
    // Assess
    expect(logged.filter((line) => /unexpected|\n\s+at /.test(line))).toEqual([]);
    expect(logged.length).toBeLessThanOrEqual(1);
  });
});

describe("parserErrorReply", () => {
  it("leaves a reset connection unanswered and maps timeouts to request_timeout", () => {
    expect(
      parserErrorReply(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }), 16_384),
    ).toBe(undefined);
    const timeout = parserErrorReply(
      Object.assign(new Error("timeout"), { code: "ERR_HTTP_REQUEST_TIMEOUT" }),
      1,
    );
    expect(timeout?.code).toBe("request_timeout");
    expect(timeout?.status).toBe(408);
  });
});
