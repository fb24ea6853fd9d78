/**
 * The Kafka listener of the container agent: a TCP server over the runtime's own engine,
 * appender (batcher), head watcher and caches, so a record produced through Kafka is fetched
 * through HTTP at the same offset and the other way round. Lambda never starts it: a Lambda
 * invocation cannot hold a TCP connection.
 *
 * Bounds: at most `connectionsMax` connections (more are refused by the OS-level accept and
 * closed at once), frames up to `frameBytesMax`, `inflightMax` unanswered requests per connection,
 * `inflightBytesMax` request bytes read and not yet answered across all of them (FrameBudget).
 */
import { createServer, type Server, type Socket } from "node:net";
import { logPartitionDirectory } from "../groups/partition-directory.js";
import { tokenChecker } from "../http/auth.js";
import type { Runtime } from "../runtime.js";
import { ManifestBrokerDirectory } from "./broker-directory.js";
import { ClassicGroupCoordinator } from "./classic-groups.js";
import { type ConnectionLimits, KafkaConnection } from "./connection.js";
import { DEFAULT_REQUEST_LIMITS, type KafkaDeps, type RequestLimits } from "./context.js";
import { FrameBudget } from "./frame-budget.js";
import type { BrokerDirectory, KafkaGroupCoordinator } from "./group-port.js";
import { handlerTable } from "./handlers/index.js";
import { ManifestProducerIds, type ProducerIdAllocator } from "./producer-ids.js";

export interface KafkaServerOptions {
  host: string;
  /** 0 = an ephemeral port (tests). */
  port: number;
  /** What clients are told; default 127.0.0.1:<bound port>. */
  advertised?: { host: string; port: number };
  /**
   * The classic group protocol; default: ClassicGroupCoordinator over the manifest. `false`
   * leaves the group APIs out (neither advertised nor served).
   */
  groups?: ((brokers: BrokerDirectory) => KafkaGroupCoordinator) | false;
  /**
   * Built once the port is known; default: the live agents registered in the manifest
   * (ManifestBrokerDirectory, one broker per agent, or one shared broker behind a load balancer).
   */
  brokers?: (advertised: { host: string; port: number }) => BrokerDirectory;
  /** "shared": every agent behind one load-balanced advertised address (FLOE_KAFKA_ADVERTISED). */
  brokerMode?: "per-agent" | "shared";
  producerIds?: ProducerIdAllocator;
  limits?: Partial<ConnectionLimits & RequestLimits & { connectionsMax: number; inflightBytesMax: number }>;
  logError?: (error: unknown) => void;
}

export interface KafkaServer {
  port: number;
  /** host:port as clients are told. */
  advertised: string;
  connections(): number;
  /** The process-wide budget of request bytes in flight. */
  frameBudget: FrameBudget;
  /** Stops accepting, answers every accepted request, then closes the connections. */
  close(): Promise<void>;
}

const DEFAULT_INFLIGHT = 32;
const DEFAULT_CONNECTIONS = 1024;
/** Longest a stopping agent waits for accepted requests to be answered (as the HTTP server). */
const DRAIN_MS_MAX = 5_000;
/** Header and framing room above the largest produce payload. */
const FRAME_OVERHEAD_BYTES = 64 * 1024;

function defaultLogError(error: unknown): void {
  process.stderr.write(
    `floe kafka: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
}

export async function startKafkaServer(runtime: Runtime, options: KafkaServerOptions): Promise<KafkaServer> {
  const server: Server = createServer();
  const connections = new Set<KafkaConnection>();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : options.port;
  const advertised = options.advertised ?? { host: "127.0.0.1", port };
  const brokers =
    options.brokers?.(advertised) ??
    new ManifestBrokerDirectory({
      manifest: runtime.manifest,
      clock: runtime.clock,
      advertised,
      mode: options.brokerMode ?? "per-agent",
    });
  await brokers.start();
  const groups =
    options.groups === false
      ? undefined
      : (options.groups?.(brokers) ??
        new ClassicGroupCoordinator({
          manifest: runtime.manifest,
          clock: runtime.clock,
          directory: brokers,
          partitions: logPartitionDirectory(runtime.log),
        }));
  const logError = options.logError ?? defaultLogError;
  const deps: KafkaDeps = {
    log: runtime.log,
    appender: runtime.appender,
    watcher: runtime.watcher,
    clock: runtime.clock,
    limits: runtime.config.limits,
    brokers,
    ...(groups ? { groups } : {}),
    producerIds: options.producerIds ?? new ManifestProducerIds(runtime.manifest),
    clusterId: `floe-${runtime.config.table}`,
    headCacheMs: runtime.config.headCacheMs,
    sasl: { required: runtime.config.apiTokens.length > 0, accepts: tokenChecker(runtime.config.apiTokens) },
    requestLimits: {
      partitionsMax: options.limits?.partitionsMax ?? DEFAULT_REQUEST_LIMITS.partitionsMax,
      readConcurrency: options.limits?.readConcurrency ?? DEFAULT_REQUEST_LIMITS.readConcurrency,
    },
    logError,
  };
  const handlers = handlerTable({ groups: groups !== undefined });
  const limits: ConnectionLimits = {
    frameBytesMax:
      options.limits?.frameBytesMax ?? runtime.config.limits.requestBytesMax + FRAME_OVERHEAD_BYTES,
    inflightMax: options.limits?.inflightMax ?? DEFAULT_INFLIGHT,
  };
  // One budget for every connection's request frames (FLOE_KAFKA_INFLIGHT_BYTES_MAX).
  const budget = new FrameBudget(options.limits?.inflightBytesMax ?? runtime.config.kafkaInflightBytesMax);
  server.maxConnections = options.limits?.connectionsMax ?? DEFAULT_CONNECTIONS;
  server.on("connection", (socket: Socket) => {
    socket.setNoDelay(true);
    const connection = new KafkaConnection(socket, deps, handlers, limits, budget);
    connections.add(connection);
    socket.once("close", () => connections.delete(connection));
  });
  // A listener error after start (e.g. EMFILE on accept) must not take the process down.
  server.on("error", logError);
  return {
    port,
    advertised: `${advertised.host}:${advertised.port}`,
    connections: () => connections.size,
    frameBudget: budget,
    async close() {
      const closed = new Promise<void>((done) => server.close(() => done()));
      // Group waiters (a JoinGroup at its barrier) end first, so draining cannot wait on them.
      await groups?.close();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all([...connections].map((c) => c.drain())),
        new Promise((r) => (timer = setTimeout(r, DRAIN_MS_MAX))),
      ]);
      clearTimeout(timer);
      for (const c of connections) c.destroy();
      await closed;
      await brokers.close();
    },
  };
}
