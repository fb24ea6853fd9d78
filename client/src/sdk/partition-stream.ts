/**
 * Reads one partition for a consumer: a loop that fetches (long-poll or SSE), hands each chunk
 * of records to the consumer, and fetches again only once that chunk is consumed. So at most one
 * chunk (≤ max_bytes) per partition sits in memory, and a slow consumer slows the fetching
 * instead of filling memory.
 *
 * Positions: `fetchStart` is where the next read starts; the consumer tracks what it handed out.
 * A seek aborts the read in flight, so nothing read before it can be delivered after it.
 */
import { FloeError } from "../errors.js";
import { FormatError } from "../format/index.js";
import { type BackoffOptions, backoffMs, sleep } from "./backoff.js";
import type { FetchRequest, FetchResult, FetchStart } from "./fetcher.js";
import type { ConsumerRecord } from "./records.js";
import type { StreamRequest } from "./sse.js";

export type ConsumeTransport = "binary" | "json" | "sse";

export interface PartitionStreamOptions {
  topic: string;
  partition: number;
  start: FetchStart;
  transport: ConsumeTransport;
  /** Keep reading at the end of the log; false = stop at the high watermark seen first. */
  follow: boolean;
  waitSeconds: number;
  maxBytes?: number | undefined;
  maxRecords?: number | undefined;
  backoff?: BackoffOptions | undefined;
  fetch(request: FetchRequest): Promise<FetchResult>;
  stream(request: StreamRequest): AsyncIterable<FetchResult>;
  /** A chunk of records is ready; `chunkConsumed()` must follow once it is used up or dropped. */
  deliver(stream: PartitionStream, records: ConsumerRecord[]): void;
  /** The partition cannot be read (not retriable); the consumer surfaces the error. */
  fail(stream: PartitionStream, error: unknown): void;
  /** Something the consumer waits on changed (the stream finished). */
  changed(): void;
}

/** Errors worth another read: the server's retriable ones and transport failures, not corrupt data. */
export function retriableRead(error: unknown): boolean {
  if (error instanceof FloeError) return error.retriable;
  return !(error instanceof FormatError);
}

export class PartitionStream {
  readonly topic: string;
  readonly partition: number;
  fetchStart: FetchStart;
  /** End offset for a stream that does not follow: the high watermark at the first read. */
  endOffset: number | undefined;
  done = false;
  paused = false;
  stopped = false;
  private chunkOutstanding = false;
  private controller = new AbortController();
  private wakeUp: (() => void) | undefined;

  constructor(private readonly options: PartitionStreamOptions) {
    this.topic = options.topic;
    this.partition = options.partition;
    this.fetchStart = options.start;
  }

  /** Starts the read loop (runs until `stop()`). */
  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.controller.abort();
    this.poke();
  }

  /** Reads from `offset` next; a read in flight is abandoned. */
  seek(offset: number): void {
    this.fetchStart = { offset };
    this.done = false;
    this.chunkOutstanding = false;
    this.controller.abort();
    this.controller = new AbortController();
    this.poke();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.poke();
  }

  /** The consumer used up (or dropped) the chunk it was given. */
  chunkConsumed(): void {
    this.chunkOutstanding = false;
    this.poke();
  }

  private poke(): void {
    const wake = this.wakeUp;
    this.wakeUp = undefined;
    wake?.();
  }

  private idle(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
    });
  }

  private get atEnd(): boolean {
    return (
      !this.options.follow &&
      this.endOffset !== undefined &&
      "offset" in this.fetchStart &&
      this.fetchStart.offset >= this.endOffset
    );
  }

  private async run(): Promise<void> {
    let attempt = 0;
    let clamp = false;
    while (!this.stopped) {
      if (this.paused || this.chunkOutstanding) {
        await this.idle();
        continue;
      }
      if (this.atEnd) {
        if (!this.done) {
          this.done = true;
          this.options.changed();
        }
        await this.idle();
        continue;
      }
      const signal = this.controller.signal;
      try {
        await this.readOnce(signal, clamp);
        attempt = 0;
        clamp = false;
      } catch (error) {
        if (signal.aborted || this.stopped) continue;
        if (error instanceof FloeError && error.code === "offset_out_of_range") {
          // Retention moved the log start past us (or the start is beyond the end): continue
          // from the nearest bound, as Kafka's auto.offset.reset does.
          clamp = true;
          continue;
        }
        if (!retriableRead(error)) {
          this.options.fail(this, error);
          return;
        }
        attempt++;
        await sleep(backoffMs(attempt, error, this.options.backoff), signal);
      }
    }
  }

  private async readOnce(signal: AbortSignal, clamp: boolean): Promise<void> {
    const o = this.options;
    const common = {
      topic: o.topic,
      partition: o.partition,
      maxBytes: o.maxBytes,
      maxRecords: o.maxRecords,
      clamp,
      signal,
    };
    if (o.transport === "sse" && o.follow) {
      for await (const chunk of o.stream({ ...common, start: this.fetchStart })) {
        if (signal.aborted) return;
        this.accept(chunk);
        while (this.chunkOutstanding && !signal.aborted && !this.stopped) await this.idle();
        if (signal.aborted) return;
      }
      return;
    }
    const result = await o.fetch({
      ...common,
      start: this.fetchStart,
      // A start by time or from the end is resolved on a first read that must not wait: a binary
      // reply's high watermark after a wait no longer tells which records the start selected.
      waitSeconds: o.follow && "offset" in this.fetchStart ? o.waitSeconds : 0,
      transport: o.transport === "json" ? "json" : "binary",
    });
    if (!signal.aborted) this.accept(result);
  }

  private accept(result: FetchResult): void {
    this.endOffset ??= result.highWatermark;
    this.fetchStart = { offset: result.nextOffset };
    if (result.records.length > 0) {
      this.chunkOutstanding = true;
      this.options.deliver(this, result.records);
    }
  }
}
