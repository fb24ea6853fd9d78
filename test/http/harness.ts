/**
 * Builds the real HTTP app over a real engine (in-memory adapters, or dynalite/s3rver) with a
 * direct appender (the engine itself: one object per request, as on Lambda) and a head watcher,
 * and offers the small helpers the HTTP tests share. No server: requests go through `app.request`.
 */
import type { OpenAPIHono } from "@hono/zod-openapi";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import { limitsFor, type ServerLimits } from "../../functions/src/config.js";
import type { Appender } from "../../functions/src/engine/append-types.js";
import { HeadWatcher } from "../../functions/src/engine/head-watcher.js";
import { FloeLog } from "../../functions/src/engine/log.js";
import type { TopicMeta } from "../../functions/src/engine/model.js";
import { type AppDeps, createApp } from "../../functions/src/http/app.js";
import { type Clock, systemClock } from "../../functions/src/ports/clock.js";
import type { ManifestStore } from "../../functions/src/ports/manifest-store.js";
import type { ObjectStore } from "../../functions/src/ports/object-store.js";
import type { TestStandIns } from "../support/standins.js";

export interface Stores {
  objects: ObjectStore;
  manifest: ManifestStore;
}

/** Where the engine keeps its data in a test run. */
export interface Backend {
  name: string;
  stores(): Promise<Stores>;
}

export const memoryBackend: Backend = {
  name: "in-memory adapters",
  stores: async () => ({ objects: new MemoryObjectStore(), manifest: new MemoryManifestStore() }),
};

/** dynalite + s3rver, a fresh bucket and table per harness. */
export function standInBackend(standIns: () => TestStandIns): Backend {
  return {
    name: "dynalite + s3rver",
    stores: async () => ({
      objects: await standIns().newObjectStore(),
      manifest: await standIns().newManifestStore(),
    }),
  };
}

/** A HeadWatcher that tells the test when a long-poll has started waiting, and with which signal. */
export class SpyWatcher extends HeadWatcher {
  readonly signals: (AbortSignal | undefined)[] = [];
  private waiters: (() => void)[] = [];

  override wait(
    topic: TopicMeta,
    partition: number,
    offset: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    this.signals.push(signal);
    const waiting = super.wait(topic, partition, offset, timeoutMs, signal);
    for (const notify of this.waiters.splice(0)) notify();
    return waiting;
  }

  /** Resolves at the next call of `wait` (call it before the request that will wait). */
  nextWait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

export interface HarnessOptions {
  backend?: Backend;
  limits?: Partial<ServerLimits>;
  apiTokens?: string[];
  appender?: (log: FloeLog) => Appender;
  clock?: Clock;
  logError?: (error: unknown) => void;
  ssePingMs?: number;
}

export interface Harness {
  app: OpenAPIHono;
  log: FloeLog;
  watcher: SpyWatcher;
  deps: AppDeps;
  /** `app.request` with the harness's token (if any) added. */
  request(path: string, init?: RequestInit): Promise<Response>;
  /** A JSON request; `body` is serialised unless it is already a string. */
  json(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  close(): void;
}

export const TOKEN = "test-token-1";

export async function buildHarness(options: HarnessOptions = {}): Promise<Harness> {
  const { objects, manifest } = await (options.backend ?? memoryBackend).stores();
  const clock = options.clock ?? systemClock;
  // topicCacheTtlMs 0: every lookup reads the manifest, so tests see deletes and alters at once.
  const log = new FloeLog({ objects, manifest, clock, limits: { topicCacheTtlMs: 0 } });
  const watcher = new SpyWatcher({ log, clock, pollIntervalMs: 50, maxWatchedPartitions: 64 });
  const apiTokens = options.apiTokens ?? [];
  const deps: AppDeps = {
    log,
    appender: options.appender ? options.appender(log) : log,
    watcher,
    limits: { ...limitsFor("container"), ...options.limits },
    apiTokens,
    clock,
    platform: "container",
    ...(options.logError ? { logError: options.logError } : {}),
    ...(options.ssePingMs !== undefined ? { ssePingMs: options.ssePingMs } : {}),
  };
  const app = createApp(deps);
  const withToken = (init: RequestInit = {}): RequestInit => {
    if (apiTokens.length === 0) return init;
    const headers = new Headers(init.headers);
    if (!headers.has("authorization")) headers.set("authorization", `Bearer ${apiTokens[0]}`);
    return { ...init, headers };
  };
  const request = async (path: string, init?: RequestInit) => app.request(path, withToken(init));
  return {
    app,
    log,
    watcher,
    deps,
    request,
    json: (method, path, body, headers = {}) =>
      request(path, {
        method,
        headers: { "content-type": "application/json", ...headers },
        ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
      }),
    close: () => watcher.close(),
  };
}

let topicCounter = 0;

/** A topic name unique within the test file. */
export function topicName(prefix = "t"): string {
  topicCounter++;
  return `${prefix}-${topicCounter}-${Math.random().toString(36).slice(2, 8)}`;
}

export async function createTopic(
  h: Harness,
  partitions = 1,
  config?: Record<string, unknown>,
): Promise<string> {
  const name = topicName();
  const res = await h.json("POST", "/v1/topics", { name, partitions, ...(config ? { config } : {}) });
  if (res.status !== 201) throw new Error(`creating ${name}: ${res.status} ${await res.text()}`);
  return name;
}

export interface ServerSentEvent {
  event: string;
  data: string;
  id?: string;
}

/** Parses Server-Sent Events from a response body as they arrive. */
export class EventReader {
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private buffer = "";

  constructor(response: Response) {
    if (!response.body) throw new Error("the response has no body");
    this.reader = response.body.getReader();
  }

  /** The next event, or undefined when the stream has ended. */
  async next(): Promise<ServerSentEvent | undefined> {
    for (;;) {
      const end = this.buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return parseEvent(block);
      }
      const { done, value } = await this.reader.read();
      if (done) return undefined;
      this.buffer += this.decoder.decode(value, { stream: true });
    }
  }

  /** Events until one of the given kind (inclusive); fails if the stream ends first. */
  async until(kind: string): Promise<ServerSentEvent[]> {
    const seen: ServerSentEvent[] = [];
    for (;;) {
      const event = await this.next();
      if (!event)
        throw new Error(
          `the stream ended before a ${kind} event; saw ${seen.map((e) => e.event).join(", ")}`,
        );
      seen.push(event);
      if (event.event === kind) return seen;
    }
  }

  cancel(): Promise<void> {
    return this.reader.cancel();
  }
}

function parseEvent(block: string): ServerSentEvent {
  const event: ServerSentEvent = { event: "message", data: "" };
  const data: string[] = [];
  for (const line of block.split("\n")) {
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event.event = value;
    else if (field === "data") data.push(value);
    else if (field === "id") event.id = value;
  }
  event.data = data.join("\n");
  return event;
}
