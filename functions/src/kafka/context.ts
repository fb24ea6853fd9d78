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
import type { SaslPolicy, SaslSession } from "./sasl.js";

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
  requestLimits: RequestLimits;
  /** Whether SASL/PLAIN is required and which passwords it accepts (FLOE_API_TOKENS). */
  sasl: SaslPolicy;
  /** How stale a head a fetch may read (FLOE_HEAD_CACHE_MS, as the HTTP fetch). */
  headCacheMs: number;
  logError: (error: unknown) => void;
}

/**
 * Per-request bounds of the Kafka listener (docs/kafka.md § Limits). A request naming more
 * topic-partitions than `partitionsMax` gets INVALID_REQUEST for the excess (counted in request
 * order), so one client cannot make the agent read thousands of heads for one request; the
 * partitions it does serve are read at most `readConcurrency` at a time.
 */
export interface RequestLimits {
  partitionsMax: number;
  readConcurrency: number;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { partitionsMax: 1000, readConcurrency: 8 };

/** The message a partition beyond the cap is answered with. */
export function overPartitionCap(limits: RequestLimits): string {
  return `a request may name at most ${limits.partitionsMax} topic-partitions; this one is past that`;
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
  /**
   * Closes this connection at once (unanswered requests are dropped; the client reconnects and
   * retries them). How Kafka tells a client about a failed acks=0 produce, which has no response.
   */
  closeConnection(): void;
  /** Sends this request's response, then closes (a failed SASL exchange, as Kafka). */
  closeAfterResponse(): void;
  /** This connection's SASL state (sasl.ts). */
  sasl: SaslSession;
}

/** Answers one decoded request; `undefined` means no response at all (Produce with acks=0). */
export type Handler = (request: Message, ctx: RequestContext) => Promise<Message | undefined>;
