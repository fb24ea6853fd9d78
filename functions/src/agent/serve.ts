/**
 * Serves a runtime's app over HTTP with @hono/node-server and shuts down gracefully: stop
 * accepting connections, flush and acknowledge every append already accepted, end long-polls,
 * then close.
 */
import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import type { Runtime } from "../runtime.js";

export interface RunningServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

export function startServer(runtime: Runtime, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: runtime.app.fetch, hostname: host, port }, (info: AddressInfo) => {
      const url = `http://${host.includes(":") ? `[${host}]` : host}:${info.port}`;
      resolve({
        url,
        port: info.port,
        async close() {
          // Close the listener first (no new requests), then drain: accepted appends are still
          // written and answered on their open connections before the process exits.
          const closed = new Promise<void>((done) => server.close(() => done()));
          await runtime.drain();
          if ("closeIdleConnections" in server) server.closeIdleConnections();
          let timer: ReturnType<typeof setTimeout> | undefined;
          await Promise.race([closed, new Promise((r) => (timer = setTimeout(r, 5_000)))]);
          clearTimeout(timer);
        },
      });
    });
    server.once("error", reject);
  });
}
