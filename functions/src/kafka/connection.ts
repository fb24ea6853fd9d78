/**
 * One client connection: size-delimited frames in, responses out in request order.
 *
 *   frame => size:INT32 request:byte[size]      (request = header + body, headers.ts)
 *
 * Requests are decoded as they arrive and handled concurrently (a JoinGroup waiting at its
 * barrier or a long-polling Fetch never holds up the next request), but Kafka clients match
 * responses by order, so each response waits in its slot until every earlier one is written.
 * Bounds: a frame larger than `frameBytesMax` closes the connection before it is buffered; past
 * `inflightMax` unanswered requests the socket stops being read (TCP back-pressure) until the
 * oldest is answered, nor while the process-wide FrameBudget has no room for its next frame.
 * Bytes that are not a request of a version we implement close the
 * connection, as a Kafka broker does; ApiVersions of an unknown version is answered with
 * UNSUPPORTED_VERSION and our ranges, so the client can pick one.
 */
import type { Socket } from "node:net";
import { decodeBody, encodeBody, type Message } from "./codec/codec.js";
import {
  isFlexible,
  type RequestHeader,
  readRequestHeader,
  responseHeader,
  skipHeaderTags,
  supports,
} from "./codec/headers.js";
import { KafkaDecodeError } from "./codec/primitives.js";
import type { MessageSchema } from "./codec/schema.js";
import { API_KEYS, SCHEMAS } from "./codec/schemas/index.js";
import type { Handler, KafkaDeps, RequestContext } from "./context.js";
import { KAFKA } from "./errors.js";
import type { FrameBudget } from "./frame-budget.js";
import { apiVersionsAnswer } from "./handlers/api-versions.js";
import { SaslSession } from "./sasl.js";

export interface ConnectionLimits {
  /** Largest request frame accepted (bytes after the size field). */
  frameBytesMax: number;
  /** Unanswered requests per connection before reading pauses. */
  inflightMax: number;
}

interface Slot {
  /** Undefined until the handler is done; null = nothing to send (acks=0). */
  bytes: Uint8Array | null | undefined;
  close: boolean;
  /** Written, then the connection ends (closeAfterResponse). */
  endAfter: boolean;
  /** The request's size, reserved in the process-wide FrameBudget until this slot is written. */
  frameBytes: number;
}

export class KafkaConnection {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private readonly slots: Slot[] = [];
  private readonly closed = new AbortController();
  /** Ends long-polls: on close, and on drain (a stopping agent answers what it has). */
  private readonly stopWaiting = new AbortController();
  private produceTurn: Promise<unknown> = Promise.resolve();
  private paused = false;
  private draining = false;
  /** The socket refused more output until it drains (see the "drain" listener). */
  private writeBlocked = false;
  /** Resolves once every accepted request has been answered (or the socket is gone). */
  private idleWaiters: (() => void)[] = [];
  /** Bytes of the frame being buffered, reserved in the budget (0: none reserved yet). */
  private reservedFrame = 0;
  /** Set while waiting for the budget to have room for the next frame. */
  private cancelBudgetWait: (() => void) | undefined;
  private readonly sasl: SaslSession;

  constructor(
    private readonly socket: Socket,
    private readonly deps: KafkaDeps,
    private readonly handlers: ReadonlyMap<number, Handler>,
    private readonly limits: ConnectionLimits,
    private readonly budget: FrameBudget,
  ) {
    this.sasl = new SaslSession(deps.sasl);
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    // Responses the client has not read yet stay in the socket's buffer: while it is over its
    // high-water mark no new request is read (backpressure), so a client that never reads cannot
    // make this process buffer answers (a 60-byte Fetch can ask for MiBs) without bound.
    socket.on("drain", () => {
      this.writeBlocked = false;
      this.pump();
    });
    socket.on("error", () => this.destroy());
    socket.on("close", () => this.destroy());
  }

  get inflight(): number {
    return this.slots.length;
  }

  /** Stops reading; answers what was accepted; then ends the socket. */
  async drain(): Promise<void> {
    this.draining = true;
    this.stopWaiting.abort();
    this.socket.pause();
    this.paused = true;
    if (this.slots.length > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.socket.end();
  }

  destroy(): void {
    if (!this.closed.signal.aborted) this.closed.abort();
    this.cancelBudgetWait?.();
    this.cancelBudgetWait = undefined;
    // Accepted slots release theirs as they are flushed (their handlers end on the abort).
    const reserved = this.reservedFrame;
    this.reservedFrame = 0;
    this.budget.release(reserved);
    this.stopWaiting.abort();
    this.socket.destroy();
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    this.pump();
  }

  /** Takes whole frames off the buffer while the in-flight bound allows. */
  private pump(): void {
    if (this.draining) return;
    while (
      !this.closed.signal.aborted &&
      !this.writeBlocked &&
      this.slots.length < this.limits.inflightMax &&
      this.buffered >= 4
    ) {
      const head = this.peek(4);
      const size = head.readInt32BE(0);
      const smallest = this.sasl.state === "raw-token" ? 1 : 8;
      if (size < smallest || size > this.limits.frameBytesMax) {
        // 8 bytes is the smallest header (api key, version, correlation id, null client id).
        this.destroy();
        return;
      }
      if (this.reservedFrame === 0) {
        if (!this.budget.tryReserve(size)) {
          this.cancelBudgetWait ??= this.budget.waitForRelease(() => {
            this.cancelBudgetWait = undefined;
            this.pump();
          });
          break;
        }
        this.reservedFrame = size;
      }
      if (this.buffered < 4 + size) break;
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.byteLength > 0 ? [rest] : [];
      this.buffered = rest.byteLength;
      this.reservedFrame = 0;
      this.accept(new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength));
    }
    const full =
      this.slots.length >= this.limits.inflightMax ||
      this.writeBlocked ||
      this.cancelBudgetWait !== undefined;
    if (full && !this.paused) {
      this.socket.pause();
      this.paused = true;
    } else if (!full && this.paused) {
      this.socket.resume();
      this.paused = false;
    }
  }

  /**
   * The first `bytes` buffered bytes. A first chunk shorter than that is merged with the rest
   * once and kept merged: concatenating on every `data` event while a frame trickles in would be
   * quadratic in the frame size (a client sending its first byte alone, then 1 KiB writes).
   */
  private peek(bytes: number): Buffer {
    if (this.chunks[0]!.byteLength < bytes) this.chunks = [Buffer.concat(this.chunks, this.buffered)];
    return this.chunks[0]!;
  }

  private accept(frame: Uint8Array): void {
    if (this.sasl.state === "raw-token") {
      // After a SaslHandshake v0 the client sends its PLAIN token unframed by any Kafka header;
      // success is an empty token (a zero size), failure a closed connection (KIP-43).
      const ok = this.sasl.authenticateRaw(frame);
      this.answerNow(ok ? new Uint8Array(4) : null, frame.byteLength, !ok);
      return;
    }
    let header: RequestHeader;
    let schema: MessageSchema | undefined;
    let body: Message;
    try {
      const read = readRequestHeader(frame);
      header = read.header;
      schema = SCHEMAS.get(header.apiKey);
      const handler = this.handlers.get(header.apiKey);
      if (!schema || !handler) {
        this.budget.release(frame.byteLength);
        this.destroy();
        return;
      }
      if (!supports(schema, header.apiVersion)) {
        if (header.apiKey === API_KEYS.apiVersions)
          this.answerNow(this.unsupportedApiVersions(header), frame.byteLength);
        else {
          this.budget.release(frame.byteLength);
          this.destroy();
        }
        return;
      }
      if (!this.sasl.admits(header.apiKey)) {
        // Before authentication (or out of the exchange's order): closed, as Kafka's SASL listener.
        this.budget.release(frame.byteLength);
        this.destroy();
        return;
      }
      skipHeaderTags(read.reader, schema, header.apiVersion);
      body = decodeBody(
        frame,
        read.reader.pos,
        schema.request,
        header.apiVersion,
        isFlexible(schema, header.apiVersion),
      );
    } catch (error) {
      if (!(error instanceof KafkaDecodeError)) this.deps.logError(error);
      this.budget.release(frame.byteLength);
      this.destroy();
      return;
    }
    const slot: Slot = { bytes: undefined, close: false, endAfter: false, frameBytes: frame.byteLength };
    this.slots.push(slot);
    const handler = this.handlers.get(header.apiKey)!;
    const ctx = this.context(header, slot);
    const run = handler(body, ctx);
    const known = schema;
    run
      .then((response) => {
        slot.bytes = response === undefined ? null : this.frame(known, header, response);
      })
      .catch((error: unknown) => {
        // A handler failure we did not map: the request cannot be answered in its own grammar, so
        // this connection closes (the client reconnects and retries); other connections are untouched.
        this.deps.logError(error);
        slot.bytes = null;
        slot.close = true;
      })
      .finally(() => this.flush());
  }

  private context(header: RequestHeader, slot: Slot): RequestContext {
    return {
      deps: this.deps,
      header,
      version: header.apiVersion,
      clientHost: this.socket.remoteAddress ?? "",
      signal: this.stopWaiting.signal,
      inProduceOrder: <T>(submit: () => Promise<T>): Promise<T> => {
        const run = this.produceTurn.then(submit);
        this.produceTurn = run.catch(() => undefined);
        return run;
      },
      closeConnection: () => this.destroy(),
      closeAfterResponse: () => {
        slot.endAfter = true;
      },
      sasl: this.sasl,
    };
  }

  private frame(schema: MessageSchema, header: RequestHeader, response: Message): Uint8Array {
    const head = responseHeader(schema, header.apiVersion, header.correlationId);
    const body = encodeBody(
      schema.response,
      response,
      header.apiVersion,
      isFlexible(schema, header.apiVersion),
    );
    const out = new Uint8Array(4 + head.byteLength + body.byteLength);
    new DataView(out.buffer).setInt32(0, head.byteLength + body.byteLength);
    out.set(head, 4);
    out.set(body, 4 + head.byteLength);
    return out;
  }

  /** UNSUPPORTED_VERSION in the v0 grammar, which every client can read. */
  private unsupportedApiVersions(header: RequestHeader): Uint8Array {
    const schema = SCHEMAS.get(API_KEYS.apiVersions)!;
    return this.frame(
      schema,
      { ...header, apiVersion: 0 },
      apiVersionsAnswer(this.handlers, KAFKA.UNSUPPORTED_VERSION),
    );
  }

  private answerNow(bytes: Uint8Array | null, frameBytes: number, close = false): void {
    this.slots.push({ bytes, close, endAfter: false, frameBytes });
    this.flush();
  }

  /** Writes every answered slot at the front of the queue, in order. */
  private flush(): void {
    while (this.slots.length > 0 && this.slots[0]!.bytes !== undefined) {
      const slot = this.slots.shift()!;
      this.budget.release(slot.frameBytes);
      if (this.closed.signal.aborted) continue;
      if (slot.bytes && !this.socket.write(slot.bytes)) this.writeBlocked = true;
      if (slot.close) {
        this.socket.end();
        this.destroy();
      } else if (slot.endAfter) {
        // The answer goes out first (end() flushes it); nothing more is read or answered.
        this.closed.abort();
        this.stopWaiting.abort();
        this.socket.end(() => this.destroy());
      }
    }
    if (this.slots.length === 0) for (const w of this.idleWaiters.splice(0)) w();
    if (!this.closed.signal.aborted) this.pump();
  }
}
