/**
 * Wires one Floe process from its typed configuration: stores (AWS SDK adapters, pointed at AWS,
 * LocalStack or the embedded stand-ins), the engine, the appender (batcher on containers, direct
 * on Lambda), long-poll support and the HTTP app. Every entry point (container agent, Lambda
 * handlers, tests that spawn agents) builds itself through here, so they cannot drift apart.
 */
import { randomUUID } from "node:crypto";
import {
  type AwsConfig,
  createDynamoDbClient,
  createS3Client,
  STAND_IN_CREDENTIALS,
} from "./adapters/aws/aws-clients.js";
import { DynamoManifestStore } from "./adapters/aws/dynamo-manifest-store.js";
import { S3ObjectStore } from "./adapters/aws/s3-object-store.js";
import { Batcher } from "./agent/batcher.js";
import type { AgentConfig } from "./config.js";
import type { Appender } from "./engine/append-types.js";
import type { CrashHook } from "./engine/committer.js";
import { HeadWatcher } from "./engine/head-watcher.js";
import { FloeLog } from "./engine/log.js";
import { GroupCoordinator } from "./groups/group-coordinator.js";
import { logPartitionDirectory } from "./groups/partition-directory.js";
import { createApp } from "./http/app.js";
import type { ConsoleAssets } from "./http/console-assets.js";
import { type Clock, systemClock } from "./ports/clock.js";
import type { ManifestStore } from "./ports/manifest-store.js";
import type { ObjectStore } from "./ports/object-store.js";

export interface Stores {
  objects: ObjectStore;
  manifest: ManifestStore;
  /** Releases sockets. */
  destroy(): void;
}

/** AWS SDK v3 clients and adapters for the configured bucket and table. */
export function awsStores(config: AgentConfig, options: { standIn?: boolean } = {}): Stores {
  const aws: AwsConfig = {
    region: config.region,
    ...(config.s3Endpoint ? { s3Endpoint: config.s3Endpoint } : {}),
    ...(config.dynamodbEndpoint ? { dynamodbEndpoint: config.dynamodbEndpoint } : {}),
    ...(options.standIn ? { credentials: STAND_IN_CREDENTIALS } : {}),
    // Path-style addressing is what s3rver and LocalStack need; AWS accepts it for any bucket
    // name Floe creates (no dots), so one setting serves all three.
    forcePathStyle: Boolean(config.s3Endpoint) || options.standIn === true,
  };
  const s3 = createS3Client(aws);
  const dynamodb = createDynamoDbClient(aws);
  return {
    objects: new S3ObjectStore(s3, config.bucket),
    manifest: new DynamoManifestStore(dynamodb, config.table),
    destroy() {
      s3.destroy();
      dynamodb.destroy();
    },
  };
}

export interface Runtime {
  config: AgentConfig;
  clock: Clock;
  /** The manifest table (the Kafka listener allocates producer ids from it). */
  manifest: ManifestStore;
  log: FloeLog;
  appender: Appender;
  batcher: Batcher | undefined;
  watcher: HeadWatcher;
  groups: GroupCoordinator;
  app: ReturnType<typeof createApp>;
  /** Stops accepting appends, flushes and acknowledges what was accepted, ends long-polls. */
  drain(): Promise<void>;
}

export interface RuntimeOptions {
  clock?: Clock;
  crashHook?: CrashHook;
  writerId?: string;
  /** Serve the web console at /console with these built assets (the container agent does). */
  console?: { assets: ConsoleAssets | undefined };
}

export function createRuntime(
  config: AgentConfig,
  stores: Pick<Stores, "objects" | "manifest">,
  options: RuntimeOptions = {},
): Runtime {
  const clock = options.clock ?? systemClock;
  const log = new FloeLog({
    objects: stores.objects,
    manifest: stores.manifest,
    clock,
    writerId: options.writerId ?? `${config.platform}-${randomUUID().slice(0, 8)}`,
    limits: {
      commitTimeoutMs: config.commitTimeoutMs,
      rangeCacheBytes: config.rangeCacheBytes,
      hotTailBytes: config.hotTailBytes,
      entryCacheBytes: config.entryCacheBytes,
      headCacheBytes: config.headCacheBytes,
      topicCacheBytes: config.topicCacheBytes,
      headCacheMs: config.headCacheMs,
    },
    ...(options.crashHook ? { crashHook: options.crashHook } : {}),
  });
  // Lambda: one invocation handles one request, so there is nothing to batch across requests.
  const batcher =
    config.platform === "container" && config.lingerMs > 0
      ? new Batcher({
          flush: (appends) => log.append(appends),
          lingerMs: config.lingerMs,
          segmentBytesMax: config.segmentBytesMax,
          flushBytesMin: config.flushBytesMin,
          inflightBytesMax: config.inflightBytesMax,
          maxConcurrentFlushes: 4,
        })
      : undefined;
  const appender: Appender = batcher ?? log;
  const watcher = new HeadWatcher({
    log,
    clock,
    pollIntervalMs: config.platform === "lambda" ? 200 : 100,
    maxWatchedPartitions: 10_000,
  });
  const groups = new GroupCoordinator({
    manifest: stores.manifest,
    clock,
    partitions: logPartitionDirectory(log),
  });
  let draining = false;
  const app = createApp({
    draining: () => draining,
    log,
    appender,
    watcher,
    limits: config.limits,
    apiTokens: config.apiTokens,
    clock,
    platform: config.platform,
    groups,
    ...(options.console ? { console: options.console } : {}),
  });
  return {
    config,
    clock,
    manifest: stores.manifest,
    log,
    appender,
    batcher,
    watcher,
    groups,
    app,
    async drain() {
      draining = true;
      await batcher?.close();
      await log.settle();
      watcher.close();
    },
  };
}
