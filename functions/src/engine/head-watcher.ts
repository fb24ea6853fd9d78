/**
 * Long-poll support: waiters on a partition share ONE head poll (however many consumers tail it),
 * and are woken at once by heads this process learns of (its own commits, any head read), so a
 * consumer on the agent that wrote the data hears of it without waiting for the next poll.
 */
import type { Clock } from "../ports/clock.js";
import type { FloeLog } from "./log.js";
import type { PartitionHead, TopicMeta } from "./model.js";

interface Waiter {
  offset: number;
  resolve: () => void;
}

interface Watched {
  topic: TopicMeta;
  partition: number;
  waiters: Set<Waiter>;
  polling: boolean;
}

export interface HeadWatcherOptions {
  log: FloeLog;
  clock: Clock;
  /** Interval of the shared head poll (other agents' commits are seen within this). */
  pollIntervalMs: number;
  /** Most partitions watched at once; beyond it a wait returns at once (the client polls). */
  maxWatchedPartitions: number;
}

export class HeadWatcher {
  private readonly watched = new Map<string, Watched>();
  private readonly unsubscribe: () => void;
  stats = { polls: 0 };

  constructor(private readonly options: HeadWatcherOptions) {
    this.unsubscribe = options.log.onHead((head) => this.onHead(head));
  }

  /**
   * Resolves once the partition's high watermark passes `offset`, after `timeoutMs`, or when
   * `signal` aborts, whichever comes first. Never rejects.
   */
  wait(
    topic: TopicMeta,
    partition: number,
    offset: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    if (timeoutMs <= 0 || signal?.aborted) return Promise.resolve();
    const id = `${topic.topicId}/${partition}`;
    let entry = this.watched.get(id);
    if (!entry) {
      if (this.watched.size >= this.options.maxWatchedPartitions) return Promise.resolve();
      entry = { topic, partition, waiters: new Set(), polling: false };
      this.watched.set(id, entry);
    }
    const watched = entry;
    return new Promise<void>((resolve) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const waiter: Waiter = {
        offset,
        resolve: () => {
          if (timer) clearTimeout(timer);
          signal?.removeEventListener("abort", waiter.resolve);
          watched.waiters.delete(waiter);
          if (watched.waiters.size === 0) this.watched.delete(id);
          resolve();
        },
      };
      watched.waiters.add(waiter);
      timer = setTimeout(waiter.resolve, timeoutMs);
      signal?.addEventListener("abort", waiter.resolve, { once: true });
      if (!watched.polling) void this.poll(id, watched);
    });
  }

  close(): void {
    this.unsubscribe();
    for (const w of this.watched.values()) for (const waiter of [...w.waiters]) waiter.resolve();
  }

  private onHead(head: PartitionHead): void {
    const watched = this.watched.get(`${head.topicId}/${head.partition}`);
    if (!watched) return;
    for (const waiter of [...watched.waiters]) if (head.nextOffset > waiter.offset) waiter.resolve();
  }

  /** The one poll loop of a partition; it ends when its last waiter leaves. */
  private async poll(id: string, watched: Watched): Promise<void> {
    watched.polling = true;
    try {
      while (this.watched.get(id) === watched && watched.waiters.size > 0) {
        await this.options.clock.sleep(this.options.pollIntervalMs);
        if (watched.waiters.size === 0) break;
        this.stats.polls++;
        try {
          await this.options.log.committer.readHead(watched.topic.topicId, watched.partition); // onHead wakes waiters
        } catch {
          // A failed poll is retried on the next tick; waiters still end at their timeout.
        }
      }
    } finally {
      watched.polling = false;
    }
  }
}
