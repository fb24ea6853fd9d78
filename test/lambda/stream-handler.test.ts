/**
 * The streaming handler (Function URL, RESPONSE_STREAM) under a stand-in for the Lambda runtime's
 * `awslambda` global: produce → fetch, and Server-Sent Events whose first batch reaches the client
 * while the session is still open (streamed, not buffered), ending with the closing event.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createStreamHandler, type StreamHandler } from "../../functions/src/lambda/stream-handler.js";
import { uniqueName, useStandIns } from "../support/standins.js";
import { type HttpRequestSpec, httpEvent, lambdaContext, lambdaStorageEnv } from "./events.js";
import { installStreamingRuntime, invokeStreaming, uninstallStreamingRuntime } from "./streaming-runtime.js";

const SSE_SESSION_MS = 1_500;
const standIns = useStandIns();
let env: Record<string, string>;
let handler: StreamHandler;

beforeAll(async () => {
  vi.stubEnv("AWS_ACCESS_KEY_ID", "S3RVER");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "S3RVER");
  env = await lambdaStorageEnv(standIns());
  installStreamingRuntime();
  handler = createStreamHandler(env, { writeLine: () => {}, sseSessionMsMax: SSE_SESSION_MS });
});

afterAll(() => {
  uninstallStreamingRuntime();
  vi.unstubAllEnvs();
});

async function stream(spec: HttpRequestSpec) {
  const response = invokeStreaming(handler, httpEvent("function-url", spec), lambdaContext());
  await response.ended;
  return response;
}

describe("streaming Function URL handler", () => {
  it("produces and fetches through a RESPONSE_STREAM Function URL, status and headers first", async () => {
    // Prepare
    const topic = uniqueName("stream");
    const created = await stream({
      method: "POST",
      path: "/v1/topics",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: topic, partitions: 2 }),
    });
    expect(created.metadata?.statusCode, created.text()).toBe(201);

    // Act
    const produced = await stream({
      method: "POST",
      path: `/v1/topics/${topic}/records`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        records: [
          { partition: 1, value: "one" },
          { partition: 1, value: "two" },
        ],
      }),
      base64: true,
    });
    const fetched = await stream({
      method: "GET",
      path: `/v1/topics/${topic}/partitions/1/records`,
      query: "offset=0",
    });

    // Assess
    expect(produced.metadata?.statusCode, produced.text()).toBe(200);
    expect(JSON.parse(produced.text())).toMatchObject({ failed_record_count: 0 });
    expect(fetched.metadata).toMatchObject({
      statusCode: 200,
      headers: { "content-type": "application/json" },
    });
    const reply = JSON.parse(fetched.text()) as {
      records: Array<{ value: string; offset: number }>;
      high_watermark: number;
    };
    expect(reply.records.map((r) => [r.offset, r.value])).toEqual([
      [0, "one"],
      [1, "two"],
    ]);
    expect(reply.high_watermark).toBe(2);
  });

  it("streams Server-Sent Events: a record produced mid-session arrives before the session's closing event", async () => {
    // Prepare
    const topic = uniqueName("sse");
    await stream({
      method: "POST",
      path: "/v1/topics",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: topic, partitions: 1 }),
    });

    // Act: open the session on an empty partition, then produce while it is open.
    const session = invokeStreaming(
      handler,
      httpEvent("function-url", {
        method: "GET",
        path: `/v1/topics/${topic}/partitions/0/records`,
        query: "offset=0",
        headers: { accept: "text/event-stream" },
      }),
      lambdaContext(),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await stream({
      method: "POST",
      path: `/v1/topics/${topic}/partitions/0/records`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ records: [{ value: "live" }] }),
    });
    await session.ended;

    // Assess
    expect(session.metadata).toMatchObject({
      statusCode: 200,
      headers: { "content-type": "text/event-stream" },
    });
    const text = session.text();
    expect(text).toMatch(/event: batch\ndata: .*"value":"live"/);
    expect(text).toMatch(/event: end\n/);
    const batchChunk = session.chunks.find((c) => c.bytes.toString().includes("event: batch"));
    const endChunk = session.chunks.find((c) => c.bytes.toString().includes("event: end"));
    expect(batchChunk && endChunk).toBeTruthy();
    // Streamed: the batch left well before the session closed at SSE_SESSION_MS.
    expect(endChunk!.atMs - batchChunk!.atMs).toBeGreaterThan(SSE_SESSION_MS / 3);
  });

  it("says why it cannot serve outside the Lambda runtime", async () => {
    // Prepare
    uninstallStreamingRuntime();
    const outside = createStreamHandler(env, { writeLine: () => {} });
    installStreamingRuntime();

    // Act
    const attempt = (outside as unknown as () => Promise<void>)();

    // Assess
    await expect(attempt).rejects.toThrow(/awslambda/);
  });
});
