/**
 * A Kafka-aware TCP proxy in front of an agent's Kafka listener (testing.md § Faults to inject):
 * it forwards request frames, and for a seeded share of Produce responses it kills both sockets
 * instead of forwarding the response: the agent did the write, the client cannot know (a lost
 * response, a connection killed mid-produce). The agent is told to advertise the proxy, so a
 * client's every connection goes through it.
 *
 *   frame => size:INT32 payload          request payload => api_key:INT16 api_version:INT16 correlation_id:INT32 ...
 *                                        response payload => correlation_id:INT32 ...
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { seededRandom } from "./faults.js";

export interface KafkaFaultProxy {
  port: number;
  /** Where frames go: the listener's real port (set once the agent is up). */
  targetPort: number;
  enabled: boolean;
  stats: { produceResponses: number; dropped: number };
  close(): Promise<void>;
}

/** Splits a byte stream into whole frames. */
function framer(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.byteLength === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    while (pending.byteLength >= 4 && pending.byteLength >= 4 + pending.readInt32BE(0)) {
      const size = pending.readInt32BE(0);
      onFrame(pending.subarray(0, 4 + size));
      pending = pending.subarray(4 + size);
    }
  };
}

const PRODUCE = 0;

export async function startKafkaFaultProxy(
  seed: number,
  dropProduceResponseRate: number,
): Promise<KafkaFaultProxy> {
  const random = seededRandom(seed);
  const sockets = new Set<Socket>();
  const proxy: KafkaFaultProxy = {
    port: 0,
    targetPort: 0,
    enabled: true,
    stats: { produceResponses: 0, dropped: 0 },
    close: async () => {},
  };
  const server: Server = createServer((client) => {
    const upstream = connect(proxy.targetPort, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    const kill = () => {
      client.destroy();
      upstream.destroy();
    };
    const produceIds = new Set<number>();
    client.on(
      "data",
      framer((frame) => {
        // Flexible request headers keep the same first 8 bytes.
        if (frame.byteLength >= 12 && frame.readInt16BE(4) === PRODUCE) produceIds.add(frame.readInt32BE(8));
        upstream.write(frame);
      }),
    );
    upstream.on(
      "data",
      framer((frame) => {
        const correlationId = frame.byteLength >= 8 ? frame.readInt32BE(4) : -1;
        if (produceIds.delete(correlationId)) {
          proxy.stats.produceResponses++;
          if (proxy.enabled && random() < dropProduceResponseRate) {
            proxy.stats.dropped++;
            kill();
            return;
          }
        }
        client.write(frame);
      }),
    );
    for (const s of [client, upstream]) {
      s.on("error", kill);
      s.on("close", () => {
        sockets.delete(s);
        kill();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.port = (server.address() as { port: number }).port;
  proxy.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return proxy;
}
