/**
 * The I/O half of the commit protocol (docs/design/manifest.md). One conditional put on the
 * partition head is the linearisation point of an append; everything else is bookkeeping that a
 * crash may interrupt without losing an acknowledged record.
 */
import { FloeError } from "../../../client/src/errors.js";
import type { Clock } from "../ports/clock.js";
import { ConditionFailedError, type ManifestStore, StoreUnavailableError } from "../ports/manifest-store.js";
import type { AppendOutcome } from "./append-types.js";
import { BoundedSet } from "./bounded-set.js";
import { ByteLru } from "./byte-lru.js";
import {
  type CommitPlan,
  checkPlanLimits,
  DEFAULT_PLAN_LIMITS,
  type PlacedAppend,
  type PlanLimits,
  type ProducerLimits,
  planCommit,
} from "./commit-plan.js";
import { entrySk, HEAD_SK, partitionPk } from "./keys.js";
import {
  entryFromData,
  entryItem,
  headFromItem,
  headToItem,
  type IndexEntry,
  type PartitionHead,
} from "./model.js";
import { MAP_ENTRY_BYTES, retainedBytes, stringBytes } from "./retained-size.js";

/** Test seam: named points where a crash can be injected (testing.md § Faults to inject). */
export type CrashPoint =
  | "after-s3-put"
  | "before-head-commit"
  | "after-head-commit"
  | "before-entry-write"
  | "before-ack";
/** A hook that throws stands for the process dying there: the error propagates out of the flush. */
export type CrashHook = (point: CrashPoint) => void | Promise<void>;

export interface CommitterOptions {
  manifest: ManifestStore;
  clock: Clock;
  /** Give up (answer `unavailable`) when one commit has not landed after this long. */
  commitTimeoutMs: number;
  producerLimits?: ProducerLimits;
  /** The head item's byte budget (PlanLimits.headBytesMax). */
  headBytesMax?: number;
  crashHook?: CrashHook;
  /** Where unexpected exceptions of a partition's commit go (that partition's appends get an error). */
  logError?: (error: unknown) => void;
  /** Called with each head this process wrote or read, so caches and waiters can follow it. */
  onHead?: (head: PartitionHead) => void;
  /** Bytes for the caches below: 3/4 for own heads, 1/4 for materialised entry keys (16 MiB). */
  cacheBytes?: number;
  random?: () => number;
}

export interface CommitResult {
  outcomes: AppendOutcome[];
  /** Entries this commit created (empty when nothing was appended). */
  entries: IndexEntry[];
  head: PartitionHead | undefined;
}

export class Committer {
  // Both are caches, safe to drop at any time: a forgotten own head means one head read (and the
  // version condition vouches for a remembered one), a forgotten materialised key one GetItem.
  // Nothing here is live state; producer sequences and fences live in the manifest items.
  private readonly materialised: BoundedSet<string>;
  private readonly random: () => number;
  /**
   * Heads this process wrote last, per partition. The next commit plans against it without
   * reading first: with one writer per partition (the usual case) that saves a round trip per
   * commit; if another writer moved the head, the version condition fails and we read.
   */
  private readonly ownHeads: ByteLru<string, PartitionHead>;
  /** Entry writes still running after their commit was acknowledged, per partition. */
  private readonly entryWrites = new Map<string, Promise<void>>();

  private readonly planLimits: PlanLimits;
  /** Errors thrown by the crash hook: they stand for a dead process and are never turned into outcomes. */
  private readonly crashes = new WeakSet<object>();

  constructor(private readonly options: CommitterOptions) {
    this.random = options.random ?? Math.random;
    this.planLimits = {
      producer: options.producerLimits ?? DEFAULT_PLAN_LIMITS.producer,
      headBytesMax: options.headBytesMax ?? DEFAULT_PLAN_LIMITS.headBytesMax,
    };
    checkPlanLimits(this.planLimits);
    const cacheBytes = options.cacheBytes ?? 16 * 1024 * 1024;
    this.ownHeads = new ByteLru(
      Math.floor((cacheBytes * 3) / 4),
      (pk, head) => MAP_ENTRY_BYTES + stringBytes(pk) + retainedBytes(head),
    );
    this.materialised = new BoundedSet(Math.floor(cacheBytes / 4), stringBytes);
  }

  /** Reads a partition head with a strongly consistent read; undefined when the partition is gone. */
  async readHead(topicId: string, partition: number): Promise<PartitionHead | undefined> {
    const pk = partitionPk(topicId, partition);
    const item = await this.options.manifest.get(pk, HEAD_SK);
    if (!item) return undefined;
    const head = headFromItem(item);
    const own = this.ownHeads.peek(pk);
    if (own && own.version < head.version) this.ownHeads.delete(pk); // someone else wrote since
    this.options.onHead?.(head);
    return head;
  }

  cacheSizes(): Record<"ownHeads" | "materialised", { bytes: number; capacityBytes: number }> {
    return {
      ownHeads: { bytes: this.ownHeads.sizeBytes, capacityBytes: this.ownHeads.capacityBytes },
      materialised: { bytes: this.materialised.sizeBytes, capacityBytes: this.materialised.capacityBytes },
    };
  }

  /** Resolves once every entry write started so far has finished (shutdown, tests). */
  async settle(): Promise<void> {
    while (this.entryWrites.size > 0) await Promise.all([...this.entryWrites.values()]);
  }

  /**
   * Commits the appends (all for one partition, placed in `segmentKey`) and returns each one's fate.
   * Never throws for a store fault: an append whose fate is unknown gets `unavailable`.
   *
   * Usually one head write. When the appends' index entries would not fit in one head
   * (PlanLimits.headBytesMax: refused and accepted appends alternating by the thousand), the
   * rest are committed by further head writes, each its own linearisation point; one append (one
   * request's share) always lands in one of them, whole.
   *
   * An unexpected exception (a corrupt head, a bug) fails only the appends of the head write it
   * hit, never another partition's or an earlier head write's: `internal` when that head write
   * was never sent (nothing was written), `unavailable` (outcome unknown) once it may have landed.
   */
  async commitPartition(
    topicId: string,
    partition: number,
    placed: PlacedAppend[],
    segmentKey: string,
  ): Promise<CommitResult> {
    const outcomes: AppendOutcome[] = [];
    const entries: IndexEntry[] = [];
    let head: PartitionHead | undefined;
    let rest = placed;
    while (rest.length > 0) {
      const progress: HeadWriteProgress = { sent: false };
      let round: CommitResult;
      try {
        round = await this.commitOnce(topicId, partition, rest, segmentKey, progress);
      } catch (error) {
        if (typeof error === "object" && error !== null && this.crashes.has(error)) throw error;
        round = this.unexpected(rest, error, progress);
      }
      // Every head write plans at least one append (planCommit), so this loop always progresses.
      if (round.outcomes.length === 0)
        round = this.unexpected(rest, new Error("empty commit plan"), progress);
      outcomes.push(...round.outcomes);
      entries.push(...round.entries);
      head = round.head ?? head;
      rest = rest.slice(round.outcomes.length);
    }
    return { outcomes, entries, head };
  }

  private unexpected(placed: PlacedAppend[], cause: unknown, progress: HeadWriteProgress): CommitResult {
    (this.options.logError ?? logToStderr)(cause);
    const error = progress.sent
      ? new FloeError("unavailable", "commit failed after its head write was sent: outcome unknown", {}, 1)
      : new FloeError("internal", "commit failed before its head write: nothing was written");
    return { outcomes: placed.map(() => ({ ok: false, error })), entries: [], head: undefined };
  }

  /**
   * One head write: commits a prefix of `placed` (all of it unless the head's byte budget cut the
   * plan) and returns one outcome per append of that prefix.
   */
  private async commitOnce(
    topicId: string,
    partition: number,
    placed: PlacedAppend[],
    segmentKey: string,
    progress: HeadWriteProgress,
  ): Promise<CommitResult> {
    const deadline = this.options.clock.now() + this.options.commitTimeoutMs;
    let outstanding: CommitPlan | undefined; // a head write whose outcome we do not know yet
    let attempt = 0;
    let lastError: unknown;
    while (this.options.clock.now() < deadline) {
      if (attempt++ > 0) await this.backoff(attempt);
      try {
        const pk = partitionPk(topicId, partition);
        const own = attempt === 1 ? this.ownHeads.get(pk) : undefined;
        this.ownHeads.delete(pk); // used at most once: a failed attempt reads the head
        const head = own ?? (await this.readHead(topicId, partition));
        if (outstanding) {
          if (!head) break; // the topic was deleted: outcome unknown, report unavailable
          const applied = await this.wasApplied(head, outstanding);
          if (applied) return await this.finish(topicId, partition, outstanding);
          if (head.version !== outstanding.nextHead!.version - 1) outstanding = undefined;
          // else: our write is not there yet but could still land. Send the SAME plan again, never a
          // new one: a plan made later can differ (a producer expired, a cut moved with the clock)
          // while starting with the same entry, and if the first write lands the evidence check
          // above, which matches only that entry, would acknowledge the second plan's outcomes
          // (test/reliability/review-replan-unknown-outcome.test.ts). At most one write wins.
        }
        if (!head) {
          const error = new FloeError("partition_not_found", `partition ${partition} no longer exists`);
          return { outcomes: placed.map(() => ({ ok: false, error })), entries: [], head: undefined };
        }
        await this.materialisePending(head);
        const plan =
          outstanding ?? planCommit(head, placed, segmentKey, this.options.clock.now(), this.planLimits);
        if (!plan.nextHead) {
          // Nothing to write, so no version condition will vouch for the head we planned on. A
          // verdict from our cached head (a refusal, a duplicate) could be stale: read and re-plan.
          if (own) continue;
          return { outcomes: plan.outcomes, entries: [], head };
        }
        await this.crash("before-head-commit");
        outstanding = plan;
        progress.sent = true;
        // ---- the linearisation point -----------------------------------------------------------
        //   writer A                      head (v=7, next=100)          writer B
        //   read head v=7 ──────────────────────┤
        //                                       ├─────────────── read head v=7
        //   put head v=8 next=110 if v=7 ──────▶ ok (v=8)
        //                                       ◀──── put head v=8 next=105 if v=7: FAILS
        //                                                         B re-reads v=8, re-plans at 110
        // Without the condition B would overwrite A's commit: offsets 100..109 would be handed out
        // twice and A's acknowledged records would vanish from the log. A paused writer (a frozen
        // Lambda, a GC pause) holds an old version and can never slip an old offset in.
        await this.options.manifest.put(headToItem(plan.nextHead), {
          kind: "version",
          version: head.version,
        });
        return await this.finish(topicId, partition, plan);
      } catch (error) {
        if (!(error instanceof ConditionFailedError) && !(error instanceof StoreUnavailableError))
          throw error;
        lastError = error;
        // Either way the next loop re-reads the head and, if `outstanding` is set, checks whether
        // our write landed after all (a ConditionFailed can also mean an SDK retry of a write whose
        // first attempt succeeded).
      }
    }
    const error = new FloeError(
      "unavailable",
      `commit did not complete within ${this.options.commitTimeoutMs} ms: ${describe(lastError)}`,
      {},
      1,
    );
    return { outcomes: placed.map(() => ({ ok: false, error })), entries: [], head: undefined };
  }

  /** Runs the crash hook; whatever it throws is a simulated process death (CrashHook). */
  private async crash(point: CrashPoint): Promise<void> {
    try {
      await this.options.crashHook?.(point);
    } catch (error) {
      if (typeof error === "object" && error !== null) this.crashes.add(error);
      throw error;
    }
  }

  /**
   * After the head write the append is durable: acknowledge it now and write its index entries
   * in the background. Until they land they live in the head's `pending`, where readers find them
   * and from which the next committer (this process's next commit waits for them first)
   * materialises them, so an entry write that fails or never happens loses nothing.
   */
  private async finish(topicId: string, partition: number, plan: CommitPlan): Promise<CommitResult> {
    const head = plan.nextHead!;
    const pk = partitionPk(topicId, partition);
    this.ownHeads.set(pk, head);
    this.options.onHead?.(head);
    await this.crash("after-head-commit");
    await this.crash("before-entry-write");
    const previous = this.entryWrites.get(pk) ?? Promise.resolve();
    const write: Promise<void> = previous
      .then(() => this.writeEntries(topicId, partition, plan.entries))
      .catch(() => {
        // Not fatal (see above). A store fault or anything else: the head still holds them.
      })
      .finally(() => {
        if (this.entryWrites.get(pk) === write) this.entryWrites.delete(pk);
      });
    this.entryWrites.set(pk, write);
    await this.crash("before-ack");
    return { outcomes: plan.outcomes, entries: plan.entries, head };
  }

  /**
   * Did `plan`'s head write land? Our segment key is unique to this flush, so the evidence is our
   * (segment, pos) either in the head's pending entries or in the index entry at our base offset
   * (whoever overwrote the head's pending entries materialised them first).
   */
  private async wasApplied(head: PartitionHead, plan: CommitPlan): Promise<boolean> {
    const ours = plan.entries[0]!;
    const same = (e: IndexEntry) =>
      e.segmentKey === ours.segmentKey && e.pos === ours.pos && e.baseOffset === ours.baseOffset;
    if (head.pending.some(same)) return true;
    if (head.version < plan.nextHead!.version) return false;
    const item = await this.options.manifest.get(
      partitionPk(head.topicId, head.partition),
      entrySk(ours.baseOffset),
    );
    return item !== undefined && item.data.segment_key !== undefined && same(entryFromData(item.data));
  }

  /**
   * Makes sure the head's pending entries exist as index items before the head is overwritten.
   *
   *   committer A                    manifest                       committer B
   *   put head (pending=[P]) ───────▶ ok
   *   ✗ crash before writing entry P
   *                                  ◀────────────── read head (pending=[P])
   *                                  ◀────────────── put entry P if absent   (this function)
   *                                  ◀────────────── put head (pending=[Q]) if v unchanged
   * Without this step P's offsets would be covered by no entry once B overwrote the head.
   * `absent` keeps a paused writer from resurrecting an entry that maintenance has since replaced
   * by a tombstone (maintenance never deletes an entry key outright; see docs/design/manifest.md).
   */
  async materialisePending(head: PartitionHead): Promise<void> {
    await this.entryWrites.get(partitionPk(head.topicId, head.partition));
    const missing: IndexEntry[] = [];
    for (const entry of head.pending) {
      if (entry.baseOffset < head.logStartOffset) continue;
      const id = `${partitionPk(head.topicId, head.partition)}/${entrySk(entry.baseOffset)}/${entry.segmentKey}`;
      if (this.materialised.has(id)) continue;
      const existing = await this.options.manifest.get(
        partitionPk(head.topicId, head.partition),
        entrySk(entry.baseOffset),
      );
      if (!existing) missing.push(entry);
      else this.materialised.add(id);
    }
    await this.writeEntries(head.topicId, head.partition, missing);
  }

  private async writeEntries(topicId: string, partition: number, entries: IndexEntry[]): Promise<void> {
    await Promise.all(
      entries.map(async (entry) => {
        try {
          await this.options.manifest.put(entryItem(topicId, partition, entry), { kind: "absent" });
        } catch (error) {
          if (!(error instanceof ConditionFailedError)) throw error;
        }
        this.materialised.add(
          `${partitionPk(topicId, partition)}/${entrySk(entry.baseOffset)}/${entry.segmentKey}`,
        );
      }),
    );
  }

  private async backoff(attempt: number): Promise<void> {
    // Full jitter: contending writers spread out instead of colliding again in lock step.
    const capMs = Math.min(100, 2 ** Math.min(attempt, 7));
    await this.options.clock.sleep(Math.floor(this.random() * capMs) + 1);
  }
}

/** Whether a head write of this attempt may have reached the store (then the outcome is unknown). */
interface HeadWriteProgress {
  sent: boolean;
}

function logToStderr(error: unknown): void {
  console.error(
    "floe: unexpected error while committing:",
    error instanceof Error ? (error.stack ?? error.message) : error,
  );
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : "no attempt completed";
}
