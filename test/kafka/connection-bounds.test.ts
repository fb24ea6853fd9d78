/**
 * Memory and CPU bounds of one Kafka connection against a hostile or slow client (found by review):
 * - a client that never reads its responses must not make the agent buffer them without bound
 *   (a 60-byte Fetch can ask for MiBs): reading stops while the socket's output is over its mark;
 * - a frame trickling in after a lone first byte must cost linear, not quadratic, work.
 * Verdicts count bytes and concatenations, never time.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { KafkaWriter } from "../../functions/src/kafka/codec/primitives.js";
import { KafkaConnection } from "../../functions/src/kafka/connection.js";
import type { KafkaDeps } from "../../functions/src/kafka/context.js";
import { FrameBudget } from "../../functions/src/kafka/frame-budget.js";
import { handlerTable } from "../../functions/src/kafka/handlers/index.js";

const API_VERSIONS_V0 = (() => {
  const inner = new KafkaWriter().int16(18).int16(0).int32(1).string("x", false).finish();
  return Buffer.from(new KafkaWriter().int32(inner.byteLength).raw(inner).finish());
})();

let server: Server | undefined;
afterEach(() => server?.close());

async function listen(onConnection: (socket: Socket) => void): Promise<{ port: number }> {
  server = createServer(onConnection);
  await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
  return { port: (server.address() as { port: number }).port };
}

const until = async (condition: () => boolean, eager = false): Promise<void> => {
  while (!condition()) await new Promise((r) => (eager ? setImmediate(r) : setTimeout(r, 5)));
};

describe("a Kafka connection's bounds", () => {
  it("stops reading requests while the client leaves its responses unread, and answers all of them once it reads", async () => {
    // Prepare: count handled requests and the largest backlog of unread response bytes.
    // Enough that the answers overflow the kernel's loopback buffers (several MB), not only the socket's.
    const N = 300_000;
    const handlers = handlerTable({ groups: false });
    const inner = handlers.get(18)!;
    let handled = 0;
    let maxUnread = 0;
    let serverSide: Socket | undefined;
    let connection: KafkaConnection | undefined;
    handlers.set(18, (body, ctx) => {
      handled++;
      maxUnread = Math.max(maxUnread, serverSide?.writableLength ?? 0);
      return inner(body, ctx);
    });
    const { port } = await listen((socket) => {
      serverSide = socket;
      connection = new KafkaConnection(
        socket,
        { logError: () => {} } as unknown as KafkaDeps,
        handlers,
        {
          frameBytesMax: 1 << 20,
          inflightMax: 4,
        },
        new FrameBudget(1 << 30),
      );
    });
    const client = connect(port, "127.0.0.1");
    await new Promise((r) => client.once("connect", r));
    client.pause(); // a client that does not read
    // Act: pipeline N requests, wait until the server either blocked on its output or answered all.
    client.write(Buffer.concat(Array.from({ length: N }, () => API_VERSIONS_V0)));
    const blocked = () => (connection as unknown as { writeBlocked?: boolean }).writeBlocked === true;
    await until(() => blocked() || handled === N);
    // Assess: the backlog stayed near the socket's high-water mark, far below N answers.
    const mark = serverSide!.writableHighWaterMark;
    expect(handled).toBeLessThan(N);
    expect(maxUnread).toBeLessThanOrEqual(mark + 4 * 1024);
    // And once the client reads, every request is answered, in order.
    let frames = 0;
    let pending = Buffer.alloc(0);
    client.on("data", (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.byteLength >= 4 && pending.byteLength >= 4 + pending.readInt32BE(0)) {
        pending = pending.subarray(4 + pending.readInt32BE(0));
        frames++;
      }
    });
    client.resume();
    await until(() => frames === N);
    expect(handled).toBe(N);
    client.destroy();
  }, 120_000);

  it("reassembles a frame whose first byte came alone with a bounded number of concatenations", async () => {
    // Prepare: count Buffer.concat calls and the bytes they copy while one 1 MiB frame trickles in.
    let copied = 0;
    const concat = Buffer.concat;
    const counting = ((list: readonly Uint8Array[], total?: number) => {
      const out = concat(list, total);
      copied += out.byteLength;
      return out;
    }) as typeof Buffer.concat;
    const handlers = handlerTable({ groups: false });
    let closed = false;
    let serverSide: Socket | undefined;
    const { port } = await listen((socket) => {
      serverSide = socket;
      socket.on("close", () => {
        closed = true;
      });
      new KafkaConnection(
        socket,
        { logError: () => {} } as unknown as KafkaDeps,
        handlers,
        {
          frameBytesMax: 2 << 20,
          inflightMax: 4,
        },
        new FrameBudget(1 << 30),
      );
    });
    const client = connect(port, "127.0.0.1");
    await new Promise((r) => client.once("connect", r));
    const size = 1 << 20;
    const frame = Buffer.alloc(4 + size);
    frame.writeInt32BE(size, 0);
    frame.writeInt16BE(9999, 4); // an unknown API key: the server closes once the frame is whole
    Buffer.concat = counting;
    try {
      // Act: the first byte alone, then 1 KiB writes, each read by the server before the next
      // is sent (so each is its own `data` event).
      const received = (n: number) => until(() => (serverSide?.bytesRead ?? 0) >= n, true);
      client.write(frame.subarray(0, 1));
      await received(1);
      for (let at = 1; at < frame.byteLength; at += 1024) {
        client.write(frame.subarray(at, at + 1024));
        await received(Math.min(at + 1024, frame.byteLength));
      }
      await until(() => closed);
    } finally {
      Buffer.concat = concat;
      client.destroy();
    }
    // Assess: linear work, a few copies of the frame at most (quadratic would be ~1,000 copies).
    expect(copied).toBeLessThanOrEqual(4 * frame.byteLength);
  }, 120_000);

  for (const [label, spare, concurrent] of [
    ["one byte short of two frames: the second connection waits for the first's answer", -1, false],
    ["exactly two frames: both are read at once", 0, true],
  ] as const) {
    it(`a process-wide budget of request bytes in flight across connections, ${label}`, async () => {
      // Prepare: ApiVersions handlers that hold their request until released
      const F = API_VERSIONS_V0.byteLength - 4;
      const budget = new FrameBudget(2 * F + spare);
      const handlers = handlerTable({ groups: false });
      const inner = handlers.get(18)!;
      const gates: (() => void)[] = [];
      let handled = 0;
      handlers.set(18, async (body, ctx) => {
        handled++;
        await new Promise<void>((r) => gates.push(r));
        return inner(body, ctx);
      });
      const { port } = await listen((socket) => {
        new KafkaConnection(
          socket,
          { logError: () => {} } as unknown as KafkaDeps,
          handlers,
          {
            frameBytesMax: 1 << 20,
            inflightMax: 4,
          },
          budget,
        );
      });
      const open = async () => {
        const c = connect(port, "127.0.0.1");
        await new Promise((r) => c.once("connect", r));
        let answers = 0;
        c.on("data", () => answers++);
        return { c, answers: () => answers };
      };
      const a = await open();
      const b = await open();
      // Act
      a.c.write(API_VERSIONS_V0);
      await until(() => handled === 1);
      b.c.write(API_VERSIONS_V0);
      await until(() => (concurrent ? handled === 2 : budget.waiting === 1));
      // Assess
      expect(handled).toBe(concurrent ? 2 : 1);
      expect(budget.reserved).toBe(concurrent ? 2 * F : F);
      gates.shift()!();
      await until(() => a.answers() > 0 && handled === 2);
      gates.shift()!();
      await until(() => b.answers() > 0);
      await until(() => budget.reserved === 0);
      a.c.destroy();
      b.c.destroy();
    });
  }
});
