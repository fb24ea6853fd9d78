/**
 * A stand-in for the Lambda Node.js runtime's `awslambda` global, which only exists inside Lambda.
 * It behaves like the runtime as far as a streaming handler can observe: `streamifyResponse`
 * marks the handler, the runtime calls it with (event, responseStream, context), and
 * `HttpResponseStream.from` sends the status and headers before the first body byte (the real
 * runtime writes them as a JSON prelude; here they are recorded, with the time each chunk arrives).
 */
import { Writable } from "node:stream";

export interface StreamedChunk {
  atMs: number;
  bytes: Buffer;
}

export interface StreamedResponse {
  metadata: { statusCode: number; headers: Record<string, string>; cookies: string[] } | undefined;
  chunks: StreamedChunk[];
  /** Resolves when the handler ended the stream. */
  ended: Promise<void>;
  text(): string;
  body(): Buffer;
}

type StreamingHandler = (event: unknown, responseStream: Writable, context: unknown) => Promise<void>;

const STREAMING = Symbol.for("aws.lambda.runtime.handler.streaming");

class CollectingStream extends Writable {
  metadata: StreamedResponse["metadata"];
  readonly chunks: StreamedChunk[] = [];
  private readonly started = Date.now();

  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    this.chunks.push({
      atMs: Date.now() - this.started,
      bytes: Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk),
    });
    done();
  }
}

export function installStreamingRuntime(): void {
  const awslambda = {
    streamifyResponse(handler: StreamingHandler): StreamingHandler {
      Object.defineProperty(handler, STREAMING, { value: "response" });
      return handler;
    },
    HttpResponseStream: {
      from(stream: CollectingStream, metadata: NonNullable<StreamedResponse["metadata"]>): CollectingStream {
        stream.metadata = metadata;
        return stream;
      },
    },
  };
  (globalThis as { awslambda?: unknown }).awslambda = awslambda;
}

export function uninstallStreamingRuntime(): void {
  delete (globalThis as { awslambda?: unknown }).awslambda;
}

/** Invokes a streaming handler the way the runtime does; the reply can be read while it streams. */
export function invokeStreaming(handler: unknown, event: unknown, context: unknown): StreamedResponse {
  if (
    typeof handler !== "function" ||
    (handler as unknown as Record<symbol, unknown>)[STREAMING] !== "response"
  ) {
    throw new Error("not a streamified handler");
  }
  const stream = new CollectingStream();
  const ended = new Promise<void>((resolve, reject) => {
    stream.once("finish", () => resolve());
    stream.once("error", reject);
  });
  const invocation = (handler as StreamingHandler)(event, stream, context);
  const response: StreamedResponse = {
    get metadata() {
      return stream.metadata;
    },
    chunks: stream.chunks,
    ended: Promise.all([ended, invocation]).then(() => undefined),
    text: () => Buffer.concat(stream.chunks.map((c) => c.bytes)).toString("utf8"),
    body: () => Buffer.concat(stream.chunks.map((c) => c.bytes)),
  };
  return response;
}
