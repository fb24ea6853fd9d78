/**
 * A fault proxy in front of a stand-in (testing.md § Faults to inject): seeded, so a run's
 * faults replay from its printed seed. Per request it may
 *   - answer a throttling error without forwarding (S3 503 SlowDown, DynamoDB ThrottlingException),
 *   - add latency,
 *   - forward the request and then drop the response (reset the socket): the write happened and
 *     the caller cannot know — the fault that finds real bugs.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { seededRandom } from "./faults.js";

export interface ProxyFaults {
  errorRate: number;
  dropResponseRate: number;
  delayRate: number;
  maxDelayMs: number;
}

export interface FaultProxy {
  url: string;
  stats: { forwarded: number; errors: number; dropped: number; delayed: number };
  enabled: boolean;
  close(): Promise<void>;
}

export async function startFaultProxy(
  target: string,
  kind: "s3" | "dynamodb",
  seed: number,
  faults: ProxyFaults,
): Promise<FaultProxy> {
  const random = seededRandom(seed);
  const to = new URL(target);
  const stats = { forwarded: 0, errors: 0, dropped: 0, delayed: 0 };
  const proxy: FaultProxy = { url: "", stats, enabled: true, close: async () => {} };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const roll = proxy.enabled ? random() : 1;
      if (roll < faults.errorRate) {
        stats.errors++;
        if (kind === "s3") {
          res.writeHead(503, { "content-type": "application/xml" });
          res.end(
            '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>',
          );
        } else {
          res.writeHead(400, {
            "content-type": "application/x-amz-json-1.0",
            "x-amzn-errortype": "ThrottlingException",
          });
          res.end(
            JSON.stringify({
              __type: "com.amazonaws.dynamodb.v20120810#ThrottlingException",
              message: "Rate of requests exceeds the allowed throughput.",
            }),
          );
        }
        return;
      }
      const drop = roll < faults.errorRate + faults.dropResponseRate;
      const delay =
        !drop && roll < faults.errorRate + faults.dropResponseRate + faults.delayRate
          ? Math.floor(random() * faults.maxDelayMs)
          : 0;
      if (drop) stats.dropped++;
      if (delay) stats.delayed++;
      setTimeout(() => {
        const upstream = request(
          { host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers },
          (up) => {
            const body: Buffer[] = [];
            up.on("data", (c: Buffer) => body.push(c));
            up.on("end", () => {
              stats.forwarded++;
              if (drop) {
                req.socket.destroy(); // the store applied it; the caller sees a reset
                return;
              }
              res.writeHead(up.statusCode ?? 500, up.headers);
              res.end(Buffer.concat(body));
            });
          },
        );
        upstream.on("error", () => req.socket.destroy());
        upstream.end(Buffer.concat(chunks));
      }, delay);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return proxy;
}
