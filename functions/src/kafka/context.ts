/** What every Kafka request handler is given: the shared engine pieces and its request's context. */
import type { ServerLimits } from "../config.js";
import type { Appender } from "../engine/append-types.js";
import type { HeadWatcher } from "../engine/head-watcher.js";
import type { FloeLog } from "../engine/log.js";
import type { Clock } from "../ports/clock.js";
import type { Message } from "./codec/codec.js";
import type { RequestHeader } from "./codec/headers.js";
import type { BrokerDirectory, KafkaGroupCoordinator } from "./group-port.js";
import type { ProducerIdAllocator } from "./producer-ids.js";

/** The same engine, batcher and caches the HTTP app uses (runtime.ts builds both). */
export interface KafkaDeps {
  log: FloeLog;
  appender: Appender;
  watcher: HeadWatcher;
  clock: Clock;
  limits: ServerLimits;
  brokers: BrokerDirectory;
  /** The classic group protocol; without it the group APIs are neither advertised nor served. */
  groups?: KafkaGroupCoordinator;
  producerIds: ProducerIdAllocator;
  clusterId: string;
  logError: (error: unknown) => void;
}

export interface RequestContext {
  deps: KafkaDeps;
  header: RequestHeader;
  version: number;
  clientHost: string;
  /** Aborted when the connection closes: long-polls end at once. */
  signal: AbortSignal;
  /**
   * Runs `submit` after the previous produce of this connection has been handed to the appender,
   * so a connection's produce requests reach the engine in the order they were sent (idempotent
   * producers with several requests in flight rely on it), while their commits overlap.
   */
  inProduceOrder<T>(submit: () => Promise<T>): Promise<T>;
}

/** Answers one decoded request; `undefined` means no response at all (Produce with acks=0). */
export type Handler = (request: Message, ctx: RequestContext) => Promise<Message | undefined>;
