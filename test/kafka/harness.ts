/**
 * A real agent for Kafka tests: the runtime (engine, batcher, caches) on the S3 and DynamoDB
 * stand-ins, its HTTP app on a free port and its Kafka listener on another, wired exactly as
 * `npm start` wires them.
 */
import { afterAll, beforeAll } from "vitest";
import { type RunningServer, startServer } from "../../functions/src/agent/serve.js";
import { loadConfig } from "../../functions/src/config.js";
import {
  type KafkaServer,
  type KafkaServerOptions,
  startKafkaServer,
} from "../../functions/src/kafka/server.js";
import type { ManifestStore } from "../../functions/src/ports/manifest-store.js";
import type { ObjectStore } from "../../functions/src/ports/object-store.js";
import { createRuntime, type Runtime } from "../../functions/src/runtime.js";
import { startTestStandIns, type TestStandIns } from "../support/standins.js";

export interface KafkaTestAgent {
  url: string;
  /** host:port for Kafka clients. */
  broker: string;
  kafka: KafkaServer;
  runtime: Runtime;
  errors: unknown[];
  /** The stores this agent runs on; a second agent given `shareWith` runs on the same ones. */
  stores: { objects: ObjectStore; manifest: ManifestStore };
  stop(): Promise<void>;
}

export interface KafkaAgentOptions {
  env?: Record<string, string>;
  limits?: KafkaServerOptions["limits"];
  /** What clients are told (e.g. a fault proxy in front of the listener); default the listener. */
  advertised?: { host: string; port: number };
  /** Another agent over the same bucket and table (a cluster of agents); it owns the stand-ins. */
  shareWith?: KafkaTestAgent;
}

export async function startKafkaAgent(options: KafkaAgentOptions = {}): Promise<KafkaTestAgent> {
  const standIns: TestStandIns | undefined = options.shareWith ? undefined : await startTestStandIns();
  let http: RunningServer | undefined;
  try {
    const config = loadConfig(
      { FLOE_LINGER_MS: "5", ...options.env },
      { storage: "embedded", platform: "container" },
    );
    const stores = options.shareWith?.stores ?? {
      objects: await standIns!.newObjectStore(),
      manifest: await standIns!.newManifestStore(),
    };
    const runtime = createRuntime(config, stores);
    http = await startServer(runtime, "127.0.0.1", 0);
    const errors: unknown[] = [];
    const kafka = await startKafkaServer(runtime, {
      host: "127.0.0.1",
      port: 0,
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.advertised ? { advertised: options.advertised } : {}),
      logError: (e) => errors.push(e),
    });
    const server = http;
    return {
      url: server.url,
      broker: kafka.advertised,
      kafka,
      runtime,
      errors,
      stores,
      async stop() {
        // Kafka first: its group coordinator and broker heartbeats end before the stores stop.
        await kafka.close();
        await server.close();
        await standIns?.stop();
      },
    };
  } catch (error) {
    await http?.close();
    await standIns?.stop();
    throw error;
  }
}

/** One agent per test file, started in beforeAll. */
export function useKafkaAgent(options: KafkaAgentOptions = {}): () => KafkaTestAgent {
  let agent: KafkaTestAgent | undefined;
  beforeAll(async () => {
    agent = await startKafkaAgent(options);
  }, 60_000);
  afterAll(async () => {
    await agent?.stop();
    agent = undefined;
  });
  return () => {
    if (!agent) throw new Error("the agent is not running");
    return agent;
  };
}

let counter = 0;
export function kafkaTopic(prefix = "k"): string {
  counter++;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}
