/** The HTTP layer and the event-stream parser, with a fake fetch: no server needed. */
import { describe, expect, it } from "vitest";
import { FloeError } from "../../../client/src/errors.js";
import { parseEventStream } from "../../../client/src/sdk/sse.js";
import { pathOf, retryAfterSeconds, Transport } from "../../../client/src/sdk/transport.js";
import { fromBase64, toBase64 } from "../../../client/src/sdk/wire.js";

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(encoder.encode(c));
      controller.close();
    },
  });
}

describe("Transport", () => {
  it("sends the token, escapes path segments and turns error bodies into FloeErrors", async () => {
    // Prepare
    const seen: { url: string; init: RequestInit }[] = [];
    const transport = new Transport({
      url: "http://floe.test/",
      token: "s3cret",
      fetch: async (url, init) => {
        seen.push({ url, init });
        return new Response(
          JSON.stringify({ error_code: "throttled", message: "slow down", retriable: true, limit: 5 }),
          {
            status: 429,
            headers: { "Retry-After": "2" },
          },
        );
      },
    });
    // Act
    const error = await transport
      .json({ method: "GET", path: pathOf("v1", "topics", "a/b"), query: { x: 1, y: undefined } })
      .catch((e: unknown) => e);
    // Assess
    expect(seen[0]!.url).toBe("http://floe.test/v1/topics/a%2Fb?x=1");
    expect((seen[0]!.init.headers as Record<string, string>).Authorization).toBe("Bearer s3cret");
    expect(error).toBeInstanceOf(FloeError);
    expect(error).toMatchObject({
      code: "throttled",
      status: 429,
      retriable: true,
      retryAfterSeconds: 2,
      details: { limit: 5 },
    });
  });

  it("reports network failures and timeouts as unavailable (outcome unknown)", async () => {
    // Prepare
    const refused = new Transport({
      url: "http://floe.test",
      fetch: async () => {
        throw new TypeError("fetch failed", {
          cause: Object.assign(new Error("x"), { code: "ECONNREFUSED" }),
        });
      },
    });
    const slow = new Transport({
      url: "http://floe.test",
      requestTimeoutMs: 20,
      fetch: (_url, init) =>
        new Promise((_resolve, reject) =>
          init.signal!.addEventListener("abort", () => reject(init.signal!.reason)),
        ),
    });
    // Act
    const network = (await refused.json({ method: "GET", path: "/x" }).catch((e: unknown) => e)) as FloeError;
    const timeout = (await slow.json({ method: "POST", path: "/y" }).catch((e: unknown) => e)) as FloeError;
    // Assess
    expect(network.code).toBe("unavailable");
    expect(network.message).toContain("ECONNREFUSED");
    expect(network.sideEffectFree).toBe(false);
    expect(timeout.code).toBe("unavailable");
    expect(timeout.details.reason).toBe("timeout");
  });

  it("maps a reply that is not ours by its status", async () => {
    // Prepare
    const transport = new Transport({
      url: "http://floe.test",
      fetch: async () => new Response("<html>bad gateway</html>", { status: 502 }),
    });
    // Act
    const error = (await transport.json({ method: "GET", path: "/" }).catch((e: unknown) => e)) as FloeError;
    // Assess
    expect(error.code).toBe("unavailable");
    expect(
      retryAfterSeconds("Wed, 21 Oct 2015 07:28:10 GMT", Date.parse("Wed, 21 Oct 2015 07:28:00 GMT")),
    ).toBe(10);
  });

  it("rejects URLs that are not http(s)", () => {
    expect(() => new Transport({ url: "ftp://x" })).toThrow(/http or https/);
    expect(() => new Transport({ url: "not a url" })).toThrow(/invalid Floe URL/);
  });
});

describe("parseEventStream", () => {
  it("parses events split across chunks, with CRLF, comments and multi-line data", async () => {
    // Prepare
    const body = streamOf([
      'event: batch\r\nid: 5\r\ndata: {"a":',
      "1}\r\n\r\n: comment\n",
      "event: ping\ndata: x\ndata: y\n\nevent: end\ndata: {}\n\n",
    ]);
    // Act
    const events = [];
    for await (const e of parseEventStream(body)) events.push(e);
    // Assess
    expect(events).toEqual([
      { event: "batch", data: '{"a":1}', id: "5" },
      { event: "ping", data: "x\ny", id: "5" },
      { event: "end", data: "{}", id: "5" },
    ]);
  });

  it("handles a CR split from its LF by a chunk boundary", async () => {
    // Act
    const events = [];
    for await (const e of parseEventStream(streamOf(["data: a\r", "\n\r\n"]))) events.push(e);
    // Assess
    expect(events).toEqual([{ event: "message", data: "a", id: undefined }]);
  });
});

describe("base64", () => {
  it("round-trips every byte value", () => {
    // Prepare
    const bytes = new Uint8Array(256).map((_, i) => i);
    // Act / Assess
    expect([...fromBase64(toBase64(bytes))]).toEqual([...bytes]);
    expect(toBase64(new TextEncoder().encode("hi"))).toBe("aGk=");
  });
});
