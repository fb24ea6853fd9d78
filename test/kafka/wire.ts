/** A bare Kafka wire client for tests that must send what no real client would. */
import { connect, type Socket } from "node:net";
import { decodeBody, encodeBody, type Message } from "../../functions/src/kafka/codec/codec.js";
import { isFlexible } from "../../functions/src/kafka/codec/headers.js";
import { KafkaReader, KafkaWriter } from "../../functions/src/kafka/codec/primitives.js";
import { SCHEMAS } from "../../functions/src/kafka/codec/schemas/index.js";

export class WireClient {
  private buffered = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on("close", () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on("error", () => {});
  }

  static open(broker: string): Promise<WireClient> {
    const [host, port] = broker.split(":");
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), host!, () => resolve(new WireClient(socket)));
      socket.once("error", reject);
    });
  }

  raw(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** A request frame in our own encoding (header v1/v2 as the version requires). */
  static frame(
    apiKey: number,
    version: number,
    correlationId: number,
    body: Message | Uint8Array,
  ): Uint8Array {
    const schema = SCHEMAS.get(apiKey);
    const w = new KafkaWriter().int16(apiKey).int16(version).int32(correlationId).string("wire-test", false);
    const flexible = schema ? isFlexible(schema, version) : false;
    if (flexible) w.uvarint(0);
    const bytes = body instanceof Uint8Array ? body : encodeBody(schema!.request, body, version, flexible);
    const inner = w.raw(bytes).finish();
    return new KafkaWriter().int32(inner.byteLength).raw(inner).finish();
  }

  send(apiKey: number, version: number, correlationId: number, body: Message | Uint8Array): void {
    this.raw(WireClient.frame(apiKey, version, correlationId, body));
  }

  /** The next response frame (after its size), or undefined when the server closed the socket. */
  async next(): Promise<Uint8Array | undefined> {
    for (;;) {
      if (this.buffered.byteLength >= 4) {
        const size = this.buffered.readInt32BE(0);
        if (this.buffered.byteLength >= 4 + size) {
          const frame = this.buffered.subarray(4, 4 + size);
          this.buffered = this.buffered.subarray(4 + size);
          return new Uint8Array(frame);
        }
      }
      if (this.closed) return undefined;
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Reads one response and decodes it (response header v0 or v1). */
  async response(
    apiKey: number,
    version: number,
  ): Promise<{ correlationId: number; body: Message } | undefined> {
    const frame = await this.next();
    if (!frame) return undefined;
    const schema = SCHEMAS.get(apiKey)!;
    const flexible = isFlexible(schema, version) && apiKey !== 18;
    const r = new KafkaReader(frame);
    const correlationId = r.int32();
    if (flexible) r.uvarint(); // no header tags are sent
    return {
      correlationId,
      body: decodeBody(frame, r.pos, schema.response, version, isFlexible(schema, version)),
    };
  }

  /** Resolves once the server has closed the connection. */
  async closedByServer(): Promise<boolean> {
    while (!this.closed) if ((await this.next()) === undefined) break;
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }
}
