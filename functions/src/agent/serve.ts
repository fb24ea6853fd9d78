/**
 * Serves a runtime's app over HTTP with @hono/node-server and shuts down gracefully: stop
 * accepting connections, flush and acknowledge every append already accepted, end long-polls,
 * then close. Requests Node's parser refuses get the error table's JSON (client-errors.ts).
 */
import { maxHeaderSize } from "node:http";
import type { AddressInfo } from "node:net";
import { type ServerType, serve } from "@hono/node-server";
import type { Runtime } from "../runtime.js";
import { answerClientError } from "./client-errors.js";

export interface RunningServer {
  url: string;
  port: number;
  /** The Node server underneath (tests watch its connections). */
  server: ServerType;
  close(): Promise<void>;
}

export function startServer(runtime: Runtime, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: runtime.app.fetch, hostname: host, port }, (info: AddressInfo) => {
      const url = `http://${host.includes(":") ? `[${host}]` : host}:${info.port}`;
      resolve({
        url,
        port: info.port,
        server,
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
    const limit = ("maxHeaderSize" in server && Number(server.maxHeaderSize)) || maxHeaderSize;
    server.on("clientError", (error, socket) => answerClientError(error, socket, limit));
  });
}
