/**
 * The I/O half of the commit protocol (docs/design/manifest.md § The commit chain). A topic's
 * commits form a chain of records `c#1, c#2, ...`; a commit CLAIMS the next record key with a
 * put-if-absent, then LINKS it by a version-conditional write of the topic head (`seq` = its seq).
 * The link is the linearisation point of every append in the record. A flush touching P partitions
 * of a topic costs one record (bytes in proportion to what it changed) and one small head write,
 * instead of two writes per partition.
 */
import { randomBytes } from "node:crypto";
import { FloeError } from "../../../client/src/errors.js";
import type { Clock } from "../ports/clock.js";
import {
  ConditionFailedError,
  type ItemData,
  type ManifestItem,
  type ManifestStore,
  StoreUnavailableError,
} from "../ports/manifest-store.js";
import type { ObjectStore } from "../ports/object-store.js";
import type { AppendOutcome } from "./append-types.js";
import { ByteLru } from "./byte-lru.js";
import {
  addSequence,
  type CommitPlan,
  DEFAULT_PLAN_LIMITS,
  type PlacedAppend,
  type PlanLimits,
  type ProducerLimits,
  planCommit,
} from "./commit-plan.js";
import {
  type CommitRecord,
  decodeRecord,
  encodeRecord,
  type ProducerUpdate,
  type RecordEntry,
} from "./commit-record.js";
import { DYNAMODB_ITEM_BYTES_MAX, manifestItemBytes } from "./item-size.js";
import { chainPk, HEAD_SK, recordSk } from "./keys.js";
import type { IndexEntry, PartitionHead } from "./model.js";
import { retainedBytes, stringBytes } from "./retained-size.js";
import { MAX_PARTITIONS } from "./topic-config.js";
import {
  applyRecord,
  type CheckpointRef,
  decodeCheckpoint,
  emptyTopicState,
  encodeCheckpoint,
  partitionView,
  scalarVector,
  type TopicState,
  topicStateBytes,
} from "./topic-state.js";

/** Test seam: named points where a crash can be injected (testing.md § Faults to inject). */
export type CrashPoint =
  | "after-s3-put"
  /** Before the record is claimed: nothing of this commit is in the manifest. */
  | "before-head-commit"
  /** The record is claimed but not linked: a successor links it (or the topic's deletion voids it). */
  | "before-entry-write"
  /** Linked: the commit is durable. */
  | "after-head-commit"
  | "before-ack";
/** A hook that throws stands for the process dying there: the error propagates out of the flush. */
export type CrashHook = (point: CrashPoint) => void | Promise<void>;

export interface CommitterOptions {
  manifest: ManifestStore;
  /** Where checkpoints of topic states go. */
  objects: ObjectStore;
  clock: Clock;
  /** Give up (answer `unavailable`) when one commit has not landed after this long. */
  commitTimeoutMs: number;
  producerLimits?: ProducerLimits;
  /** Byte budget of one commit record item (default 350 KiB, under DynamoDB's 400 KB). */
  recordBytesMax?: number;
  /** A checkpoint is written once the chain is this many records past the last one (64). */
  checkpointEvery?: number;
  crashHook?: CrashHook;
  /** Where unexpected exceptions of a partition's commit go (that partition's appends get an error). */
  logError?: (error: unknown) => void;
  /** Called with each partition head this process learns of (its commits and the records it folds). */
  onHead?: (head: PartitionHead) => void;
  /** Bytes for topic states (3/4) and decoded records for readers (1/4); default 16 MiB. */
  cacheBytes?: number;
  random?: () => number;
}

export interface CommitResult {
  outcomes: AppendOutcome[];
  /** Entries this commit created (empty when nothing was appended). */
  entries: IndexEntry[];
  head: PartitionHead | undefined;
}

/** One partition's appends of a flush. */
export interface PartitionGroup {
  partition: number;
  placed: PlacedAppend[];
}

/** What the head item says. */
interface HeadInfo {
  version: number;
  seq: number;
  checkpoint: CheckpointRef | undefined;
  deleted: boolean;
}

/** A planned record whose fate is not known yet. */
interface Outstanding {
  record: CommitRecord;
  item: ManifestItem;
  plans: Map<number, CommitPlan>;
  /** The state it was planned on (seq = record.seq - 1). */
  base: TopicState;
}

interface Planned {
  plans: Map<number, CommitPlan>;
  /** Undefined when nothing would be written (every append refused or a duplicate). */
  outstanding: Outstanding | undefined;
}

/**
 * Worst-case bytes one append adds to a record: its entry (11 varints of at most 8 bytes and a
 * flag) and its producer update (7 varints) with a new id in the id table (64 bytes + length).
 * Records are cut by append count with it, so no record can outgrow its budget.
 */
const APPEND_BYTES_MAX = 11 * 8 + 1 + 7 * 8 + 65 + 8;
/** Worst-case bytes of everything else: header, the segment key, the vector at MAX_PARTITIONS. */
const RECORD_FIXED_BYTES_MAX = 64 + 1100 + MAX_PARTITIONS * 4 * 8 + 512;
export const DEFAULT_RECORD_BYTES_MAX = 350 * 1024;
/** Records folded from the cached state before a checkpoint is loaded instead. */
const FOLD_FROM_CACHE_MAX = 4096;
/** Records read per Query page when folding (each is at most recordBytesMax; DynamoDB pages at 1 MB). */
const FOLD_PAGE = 64;
/** After folding a record another process wrote, read the head before planning for this long. */
const CONTENDED_MS = 5_000;

export class Committer {
  stats = { claims: 0, claimsLost: 0, links: 0, helpedLinks: 0, recordsFolded: 0, checkpoints: 0 };
  private readonly random: () => number;
  private readonly planLimits: PlanLimits;
  private readonly recordBytesMax: number;
  private readonly appendsPerRecord: number;
  private readonly checkpointEvery: number;
  /** Topic states: a cache (a miss folds from the manifest); the head's version vouches for a hit. */
  private readonly states: ByteLru<string, TopicState>;
  /** Decoded records by `<topicId>/<seq>`: immutable once linked, for readers' lookups. */
  private readonly records: ByteLru<string, CommitRecord>;
  private readonly folds = new Map<string, { target: number; done: Promise<TopicState> }>();
  /** Checkpoints written by this process, not yet in the head (the next link carries them). */
  private readonly newCheckpoints = new Map<string, CheckpointRef>();
  private readonly background = new Set<Promise<void>>();
  private readonly contendedAt = new Map<string, number>();
  /** Errors thrown by the crash hook: they stand for a dead process and are never turned into outcomes. */
  private readonly crashes = new WeakSet<object>();

  constructor(private readonly options: CommitterOptions) {
    this.random = options.random ?? Math.random;
    this.planLimits = { producer: options.producerLimits ?? DEFAULT_PLAN_LIMITS.producer };
    this.recordBytesMax = options.recordBytesMax ?? DEFAULT_RECORD_BYTES_MAX;
    if (this.recordBytesMax > DYNAMODB_ITEM_BYTES_MAX - 1024)
      throw new RangeError(
        `recordBytesMax ${this.recordBytesMax} leaves no room under DynamoDB's item limit`,
      );
    this.appendsPerRecord = Math.floor((this.recordBytesMax - RECORD_FIXED_BYTES_MAX) / APPEND_BYTES_MAX);
    if (this.appendsPerRecord < 1)
      throw new RangeError(`recordBytesMax ${this.recordBytesMax} cannot hold one append`);
    this.checkpointEvery = options.checkpointEvery ?? 64;
    const cacheBytes = options.cacheBytes ?? 16 * 1024 * 1024;
    this.states = new ByteLru(
      Math.floor((cacheBytes * 3) / 4),
      (id, s) => stringBytes(id) + topicStateBytes(s),
    );
    this.records = new ByteLru(Math.floor(cacheBytes / 4), (id, r) => stringBytes(id) + retainedBytes(r));
  }

  cacheSizes(): Record<"topicStates" | "records", { bytes: number; capacityBytes: number }> {
    return {
      topicStates: { bytes: this.states.sizeBytes, capacityBytes: this.states.capacityBytes },
      records: { bytes: this.records.sizeBytes, capacityBytes: this.records.capacityBytes },
    };
  }

  /** Resolves once background work (checkpoint writes) started so far has finished. */
  async settle(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  /** One partition of the topic's current state (a strongly consistent head read, then a fold). */
  async readHead(topicId: string, partition: number): Promise<PartitionHead> {
    return partitionView(await this.readState(topicId), partition);
  }

  /** The topic's state as of now: reads the head, folds the records this process has not seen. */
  async readState(topicId: string): Promise<TopicState> {
    const item = await this.options.manifest.get(chainPk(topicId), HEAD_SK);
    return this.foldTo(topicId, headInfoOf(item));
  }

  /** The state this process last knew (no I/O); undefined when not cached. */
  knownState(topicId: string): TopicState | undefined {
    return this.states.peek(topicId);
  }

  /**
   * The linked record `seq` of the topic, for readers: a cache, else a one-item Query (the same
   * read units as a GetItem); undefined when absent. Linked records never change.
   */
  async recordAt(topicId: string, seq: number): Promise<CommitRecord | undefined> {
    const id = `${topicId}/${seq}`;
    const cached = this.records.get(id);
    if (cached) return cached;
    return (await this.recordsBetween(topicId, seq, seq, 1))[0];
  }

  /** Records `from..to` (inclusive) of the topic, in order, at most `limit`. */
  async recordsBetween(topicId: string, from: number, to: number, limit: number): Promise<CommitRecord[]> {
    if (from > to) return [];
    const page = await this.options.manifest.query(chainPk(topicId), {
      gte: recordSk(from),
      lte: recordSk(to),
      limit,
    });
    const out = page.items.map(recordFromItem);
    for (const r of out) this.records.set(`${topicId}/${r.seq}`, r);
    return out;
  }

  /**
   * Commits a flush's appends to one topic (each group one partition, placed in `segmentKey`)
   * and returns each group's fate, in the order given. Never throws for a store fault: an append
   * whose fate is unknown gets `unavailable`.
   *
   * Usually one record. A flush with more appends than one record can hold (recordBytesMax) is
   * committed by several records, each its own linearisation point; one append (one request's
   * share) always lands in one of them, whole, and a partition's appends keep their order.
   */
  async commitTopic(topicId: string, groups: PartitionGroup[], segmentKey: string): Promise<CommitResult[]> {
    const results: CommitResult[] = groups.map(() => ({ outcomes: [], entries: [], head: undefined }));
    const offsets = groups.map(() => 0); // appends of each group already decided
    for (;;) {
      // The next record's share: appends in group order up to the per-record count.
      let room = this.appendsPerRecord;
      const round: Array<{ index: number; group: PartitionGroup }> = [];
      groups.forEach((g, index) => {
        const left = g.placed.length - offsets[index]!;
        if (left === 0 || room === 0) return;
        const take = Math.min(left, room);
        room -= take;
        round.push({
          index,
          group: { partition: g.partition, placed: g.placed.slice(offsets[index]!, offsets[index]! + take) },
        });
      });
      if (round.length === 0) return results;
      const progress: HeadWriteProgress = { sent: false };
      let outcome: CommitResult[];
      try {
        outcome = await this.commitOnce(
          topicId,
          round.map((r) => r.group),
          segmentKey,
          progress,
        );
      } catch (error) {
        if (typeof error === "object" && error !== null && this.crashes.has(error)) throw error;
        outcome = round.map((r) => this.unexpected(r.group.placed, error, progress));
      }
      round.forEach((r, k) => {
        const got = outcome[k]!;
        const into = results[r.index]!;
        into.outcomes.push(...got.outcomes);
        into.entries.push(...got.entries);
        into.head = got.head ?? into.head;
        offsets[r.index]! += r.group.placed.length;
      });
    }
  }

  private unexpected(placed: PlacedAppend[], cause: unknown, progress: HeadWriteProgress): CommitResult {
    (this.options.logError ?? logToStderr)(cause);
    const error = progress.sent
      ? new FloeError("unavailable", "commit failed after its record was sent: outcome unknown", {}, 1)
      : new FloeError("internal", "commit failed before its record was written: nothing was written");
    return { outcomes: placed.map(() => ({ ok: false, error })), entries: [], head: undefined };
  }

  /** One record: plans every group on the topic state, claims the next seq, links it. */
  private async commitOnce(
    topicId: string,
    groups: PartitionGroup[],
    segmentKey: string,
    progress: HeadWriteProgress,
  ): Promise<CommitResult[]> {
    const deadline = this.options.clock.now() + this.options.commitTimeoutMs;
    let outstanding: Outstanding | undefined;
    let claimed = false;
    let attempt = 0;
    let lastError: unknown;
    const failed = new Map<number, CommitResult>(); // groups whose planning threw (internal)
    while (this.options.clock.now() < deadline) {
      if (attempt++ > 0) await this.backoff(attempt);
      try {
        const cached = attempt === 1 && !this.contended(topicId) ? this.states.get(topicId) : undefined;
        const state = cached ?? (await this.readState(topicId));
        if (outstanding) {
          const where = await this.whereIs(state, outstanding);
          if (where === "linked") return this.finish(topicId, groups, outstanding, state, failed);
          if (where === "lost") {
            outstanding = undefined;
            claimed = false;
          } else {
            claimed = where === "claimed";
          }
          // "unclaimed"/"claimed": send the SAME record again, never a new plan. A plan made later
          // could differ (a producer expired, the clock moved) behind the same seq, and if the first
          // claim landed after all, only the nonce tells which one did; at most one claim can win.
        }
        if (state.deleted && !outstanding) {
          // Tell the listeners, so the caller's cached topic is dropped and its retry looks again.
          this.options.onHead?.(partitionView(state, groups[0]?.partition ?? 0));
          const error = new FloeError("topic_not_found", "the topic was deleted", {});
          return groups.map((g) => ({
            outcomes: g.placed.map(() => ({ ok: false, error })),
            entries: [],
            head: undefined,
          }));
        }
        if (!outstanding) {
          const planned = this.plan(state, groups, segmentKey, failed);
          if (!planned.outstanding) {
            // Nothing to write, so no condition will vouch for the state we planned on. A verdict
            // from our cached state (a refusal, a duplicate) could be stale: read and re-plan.
            if (cached) continue;
            return groups.map(
              (g) =>
                failed.get(g.partition) ?? {
                  outcomes: planned.plans.get(g.partition)!.outcomes,
                  entries: [],
                  head: partitionView(state, g.partition),
                },
            );
          }
          outstanding = planned.outstanding;
          claimed = false;
        }
        if (!claimed) {
          await this.crash("before-head-commit");
          progress.sent = true;
          if (!(await this.claim(state, outstanding))) {
            outstanding = undefined;
            continue;
          }
          claimed = true;
        }
        await this.crash("before-entry-write");
        // ---- the linearisation point -------------------------------------------------------------
        //   writer A                     head (v=7, seq=41)                writer B
        //   read head, plan c#42 ───────────────┤
        //                                       ├──────────── read head, plan c#42
        //   put c#42 if absent: ok ────────────▶
        //                                       ◀──── put c#42 if absent: FAILS; B reads c#42 (A's),
        //                                             links it for A (put head seq=42 if v=7), re-plans c#43
        //   put head v=8 seq=42 if v=7 ────────▶ ok, or FAILS because B linked it: A re-reads, finds
        //                                        seq>=42 and its nonce in c#42 → acknowledged
        // Without the claim condition B would overwrite A's record under the same seq; without the
        // link condition a paused writer could link a record planned on a state that has since moved.
        // The state remembered after our link carries the checkpoint pointer the link wrote: links
        // made from this cached state while our next checkpoint is written (or after that write
        // failed) must carry it on, never the older pointer we read (test/unit/engine/checkpoint-pointer.test.ts).
        const checkpoint = await this.link(state, outstanding.record.seq);
        const linked = { ...state, headVersion: state.headVersion + 1, checkpoint };
        return this.finish(topicId, groups, outstanding, linked, failed);
      } catch (error) {
        if (!(error instanceof ConditionFailedError) && !(error instanceof StoreUnavailableError))
          throw error;
        lastError = error;
        // Either way the next loop re-reads the head and, if a record is outstanding, looks for it.
      }
    }
    const error = new FloeError(
      "unavailable",
      `commit did not complete within ${this.options.commitTimeoutMs} ms: ${describe(lastError)}`,
      {},
      1,
    );
    return groups.map(
      (g) =>
        failed.get(g.partition) ?? {
          outcomes: g.placed.map(() => ({ ok: false, error })),
          entries: [],
          head: undefined,
        },
    );
  }

  /**
   * Claims the record's seq: true when our record holds it (also when our own first attempt did,
   * answered ConditionFailed by an SDK retry). False when another record holds it: that record is
   * linked on its writer's behalf, and the caller re-plans.
   */
  private async claim(state: TopicState, out: Outstanding): Promise<boolean> {
    this.stats.claims++;
    try {
      await this.options.manifest.put(out.item, { kind: "absent" });
      return true;
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const holder = await this.options.manifest.get(chainPk(state.topicId), out.item.sk);
      const record = holder ? recordFromItem(holder) : undefined;
      if (record?.nonce === out.record.nonce) return true;
      this.stats.claimsLost++;
      this.contendedAt.set(state.topicId, this.options.clock.now());
      if (record) await this.helpLink(state, record);
      return false;
    }
  }

  /**
   * Moves the partition's log start up to `before` (at most its high watermark) with a commit of
   * its own: a record whose vector carries the new log start and no entries, claimed and linked
   * like any other, so it is ordered with the appends around it (Kafka's DeleteRecords; retention).
   * Returns the partition as of that commit (or as it is, when the log start is already there).
   */
  async trimPartition(topicId: string, partition: number, before: number): Promise<PartitionHead> {
    const deadline = this.options.clock.now() + this.options.commitTimeoutMs;
    let outstanding: Outstanding | undefined;
    let claimed = false;
    let attempt = 0;
    let lastError: unknown;
    while (this.options.clock.now() < deadline) {
      if (attempt++ > 0) await this.backoff(attempt);
      try {
        const state = await this.readState(topicId);
        if (outstanding) {
          const where = await this.whereIs(state, outstanding);
          if (where === "linked") return this.trimmed(outstanding, partition);
          if (where === "lost") outstanding = undefined;
          claimed = where === "claimed";
        }
        if (state.deleted && !outstanding)
          throw new FloeError("topic_not_found", "the topic was deleted", {});
        if (!outstanding) {
          const now = partitionView(state, partition);
          const target = Math.min(before, now.nextOffset);
          if (target <= now.logStartOffset) return now;
          const partitions = scalarVector(state, partition + 1);
          partitions[partition] = { ...partitions[partition]!, logStartOffset: target };
          const record: CommitRecord = {
            seq: state.seq + 1,
            at: this.options.clock.now(),
            nonce: randomBytes(8).toString("hex"),
            producerTtlMs: this.planLimits.producer.producerStateTtlMs,
            partitions,
            entries: [],
            producers: [],
          };
          outstanding = { record, item: recordToItem(topicId, record), plans: new Map(), base: state };
          claimed = false;
        }
        if (!claimed) {
          if (!(await this.claim(state, outstanding))) {
            outstanding = undefined;
            continue;
          }
          claimed = true;
        }
        const checkpoint = await this.link(state, outstanding.record.seq);
        const after = {
          ...applyRecord(state, outstanding.record),
          headVersion: state.headVersion + 1,
          checkpoint,
        };
        this.remember(after);
        this.maybeCheckpoint(after);
        return this.trimmed(outstanding, partition);
      } catch (error) {
        if (!(error instanceof ConditionFailedError) && !(error instanceof StoreUnavailableError))
          throw error;
        lastError = error;
      }
    }
    throw new FloeError(
      "unavailable",
      `trim did not complete within ${this.options.commitTimeoutMs} ms: ${describe(lastError)}`,
      {},
      1,
    );
  }

  /** The trimmed partition's view after the trim record, told to the listeners. */
  private trimmed(out: Outstanding, partition: number): PartitionHead {
    const view = partitionView(applyRecord(out.base, out.record), partition);
    this.options.onHead?.(view);
    return view;
  }

  /**
   * Where an outstanding record stands, from a fresh state: linked (its seq is in the chain with
   * our nonce), lost (another record holds its seq, or the topic was deleted before it was linked),
   * claimed (our record holds the next seq, not linked yet) or unclaimed (nobody holds it yet —
   * but our claim may still be in flight, so only the same record may be sent again).
   */
  private async whereIs(
    state: TopicState,
    out: Outstanding,
  ): Promise<"linked" | "lost" | "claimed" | "unclaimed"> {
    const seq = out.record.seq;
    if (state.seq >= seq) {
      // The evidence: our nonce in the record that holds our seq (newest, or read by key).
      if (state.last?.seq === seq) return state.last.nonce === out.record.nonce ? "linked" : "lost";
      const item = await this.options.manifest.get(chainPk(state.topicId), out.item.sk);
      return item && recordFromItem(item).nonce === out.record.nonce ? "linked" : "lost";
    }
    if (state.deleted) return "lost";
    if (state.seq !== seq - 1)
      throw new Error(`commit chain of ${state.topicId} went back from ${seq - 1} to ${state.seq}`);
    const holder = await this.options.manifest.get(chainPk(state.topicId), out.item.sk);
    if (!holder) return "unclaimed";
    const record = recordFromItem(holder);
    if (record.nonce === out.record.nonce) return "claimed";
    await this.helpLink(state, record);
    return "lost";
  }

  /**
   * The version-conditional head write that links record `seq` (= state.seq + 1); returns the
   * checkpoint pointer it wrote.
   */
  private async link(state: TopicState, seq: number): Promise<CheckpointRef | undefined> {
    this.stats.links++;
    const checkpoint = newest(state.checkpoint, this.newCheckpoints.get(state.topicId), seq);
    const item: ManifestItem = {
      pk: chainPk(state.topicId),
      sk: HEAD_SK,
      version: state.headVersion + 1,
      data: { seq, ...(checkpoint ? { checkpoint: { seq: checkpoint.seq, key: checkpoint.key } } : {}) },
    };
    await this.options.manifest.put(
      item,
      state.headVersion === 0 ? { kind: "absent" } : { kind: "version", version: state.headVersion },
    );
    // Our checkpoint is in the head now (and in the state cached after this link): forget it, so
    // the map holds only topics with a checkpoint on its way.
    const ours = this.newCheckpoints.get(state.topicId);
    if (ours && checkpoint && ours.key === checkpoint.key) this.newCheckpoints.delete(state.topicId);
    return checkpoint ? { seq: checkpoint.seq, key: checkpoint.key } : undefined;
  }

  /**
   * Links a record another writer claimed and has not linked (it may have died): the chain cannot
   * move on until seq is linked, and any record claimed at state.seq + 1 was planned on exactly
   * this state. Losing the race (the claimer or another helper linked it) is fine.
   */
  private async helpLink(state: TopicState, record: CommitRecord): Promise<void> {
    if (record.seq !== state.seq + 1 || state.deleted) return;
    try {
      this.stats.helpedLinks++;
      await this.link(state, record.seq);
    } catch (error) {
      if (!(error instanceof ConditionFailedError) && !(error instanceof StoreUnavailableError)) throw error;
    }
  }

  /** Plans the groups on `state`; undefined when nothing would be written. */
  private plan(
    state: TopicState,
    groups: PartitionGroup[],
    segmentKey: string,
    failed: Map<number, CommitResult>,
  ): Planned {
    const now = this.options.clock.now();
    const plans = new Map<number, CommitPlan>();
    const entries: RecordEntry[] = [];
    const producers: ProducerUpdate[] = [];
    const vector = scalarVector(state, Math.max(0, ...groups.map((g) => g.partition + 1)));
    for (const g of groups) {
      if (failed.has(g.partition)) continue;
      let plan: CommitPlan;
      try {
        plan = planCommit(partitionView(state, g.partition), g.placed, segmentKey, now, this.planLimits);
      } catch (error) {
        // One partition's failure stays with it: nothing of it goes into the record.
        failed.set(g.partition, this.unexpected(g.placed, error, { sent: false }));
        continue;
      }
      plans.set(g.partition, plan);
      const next = plan.nextHead;
      if (!next) continue;
      vector[g.partition] = {
        nextOffset: next.nextOffset,
        logStartOffset: next.logStartOffset,
        lastTimestamp: next.lastTimestamp,
        appendedBytes: next.appendedBytes,
      };
      for (const entry of plan.entries) entries.push({ partition: g.partition, entry });
      g.placed.forEach(({ append }, k) => {
        const outcome = plan.outcomes[k];
        if (!append.producer || !outcome?.ok || outcome.duplicate) return;
        producers.push({
          partition: g.partition,
          id: append.producer.id,
          epoch: append.producer.epoch,
          firstSequence: append.producer.firstSequence,
          lastSequence: addSequence(append.producer.firstSequence, append.recordCount - 1),
          baseOffset: outcome.baseOffset,
          lastOffset: outcome.lastOffset,
        });
      });
    }
    if (entries.length === 0) return { plans, outstanding: undefined };
    const record: CommitRecord = {
      seq: state.seq + 1,
      at: now,
      nonce: randomBytes(8).toString("hex"),
      producerTtlMs: this.planLimits.producer.producerStateTtlMs,
      partitions: vector,
      entries,
      producers,
    };
    const item = recordToItem(state.topicId, record);
    const bytes = manifestItemBytes(item);
    if (bytes > this.recordBytesMax)
      throw new Error(`commit record of ${bytes} bytes is over its budget ${this.recordBytesMax}`);
    return { plans, outstanding: { record, item, plans, base: state } };
  }

  /**
   * The record is linked: the appends are durable. Remember the new state (the next commit plans
   * on it without reading), tell the listeners, maybe write a checkpoint in the background.
   */
  private async finish(
    _topicId: string,
    groups: PartitionGroup[],
    out: Outstanding,
    seen: TopicState,
    failed: Map<number, CommitResult>,
  ): Promise<CommitResult[]> {
    const after = applyRecord(out.base, out.record);
    let state = seen;
    if (seen.seq === out.record.seq - 1) {
      state = { ...after, headVersion: seen.headVersion, checkpoint: seen.checkpoint };
      this.remember(state);
      this.announce(state, out.record);
    }
    await this.crash("after-head-commit");
    this.maybeCheckpoint(state);
    await this.crash("before-ack");
    return groups.map((g) => {
      const done = failed.get(g.partition);
      if (done) return done;
      const plan = out.plans.get(g.partition)!;
      return {
        outcomes: plan.outcomes,
        entries: plan.entries,
        head: partitionView(after, g.partition),
      };
    });
  }

  /** Keeps `state` unless a newer one is cached. */
  private remember(state: TopicState): void {
    const cached = this.states.peek(state.topicId);
    if (
      !cached ||
      cached.seq < state.seq ||
      (cached.seq === state.seq && cached.headVersion < state.headVersion)
    )
      this.states.set(state.topicId, state);
  }

  /** Tells the listeners about every partition `record` appended to. */
  private announce(state: TopicState, record: CommitRecord): void {
    if (!this.options.onHead) return;
    const touched = new Set<number>();
    for (const e of record.entries) touched.add(e.partition);
    for (const p of touched) this.options.onHead(partitionView(state, p));
  }

  private contended(topicId: string): boolean {
    const at = this.contendedAt.get(topicId);
    if (at === undefined) return false;
    if (this.options.clock.now() - at <= CONTENDED_MS) return true;
    this.contendedAt.delete(topicId);
    return false;
  }

  /**
   * The state at `info.seq`: the cached one, folded forward with the records since (one Query per
   * 64), or a checkpoint when the cache is missing or far behind. Folds of one topic are shared.
   */
  private async foldTo(topicId: string, info: HeadInfo): Promise<TopicState> {
    const overlay = (s: TopicState): TopicState =>
      s.seq === info.seq
        ? { ...s, headVersion: info.version, checkpoint: info.checkpoint, deleted: info.deleted }
        : s;
    const cached = this.states.peek(topicId);
    if (cached && cached.seq >= info.seq) {
      const state = overlay(cached);
      if (state !== cached) this.remember(state);
      return state;
    }
    const running = this.folds.get(topicId);
    if (running && running.target >= info.seq) {
      const folded = await running.done;
      if (folded.seq >= info.seq) return overlay(folded);
    }
    const done = this.fold(topicId, info, cached).then(overlay);
    const entry = { target: info.seq, done };
    this.folds.set(topicId, entry);
    try {
      const state = await done;
      this.remember(state);
      return state;
    } finally {
      if (this.folds.get(topicId) === entry) this.folds.delete(topicId);
    }
  }

  private async fold(topicId: string, info: HeadInfo, cached: TopicState | undefined): Promise<TopicState> {
    let state = cached;
    if (
      info.checkpoint &&
      (!state || info.seq - state.seq > FOLD_FROM_CACHE_MAX) &&
      info.checkpoint.seq > (state?.seq ?? 0)
    ) {
      try {
        state = decodeCheckpoint(await this.options.objects.get(info.checkpoint.key), topicId);
      } catch (error) {
        // A checkpoint is a shortcut only: a missing or unreadable one (say, a format this version
        // does not know) costs the longer fold from the records, never the commit or the read.
        // A transient store fault is retried instead (the commit loop re-reads).
        if (error instanceof StoreUnavailableError) throw error;
        (this.options.logError ?? logToStderr)(error);
      }
    }
    state ??= emptyTopicState(topicId);
    while (state.seq < info.seq) {
      const page = await this.recordsBetween(topicId, state.seq + 1, info.seq, FOLD_PAGE);
      if (page.length === 0)
        throw new Error(`commit chain of ${topicId}: record ${state.seq + 1} is missing below ${info.seq}`);
      for (const record of page) {
        state = applyRecord(state, record);
        this.stats.recordsFolded++;
        this.announce(state, record);
      }
      this.contendedAt.set(topicId, this.options.clock.now());
    }
    return state;
  }

  /** Writes a checkpoint of `state` when the chain has run far enough past the last one. */
  private maybeCheckpoint(state: TopicState): void {
    const since = Math.max(state.checkpoint?.seq ?? 0, this.newCheckpoints.get(state.topicId)?.seq ?? 0);
    if (state.seq - since < this.checkpointEvery) return;
    const key = `checkpoints/${state.topicId}/${String(state.seq).padStart(20, "0")}-${randomBytes(6).toString("hex")}`;
    this.newCheckpoints.set(state.topicId, { seq: state.seq, key: "" }); // one at a time per topic
    const write = this.options.objects
      .put(key, encodeCheckpoint(state))
      .then(() => {
        this.stats.checkpoints++;
        this.newCheckpoints.set(state.topicId, { seq: state.seq, key });
      })
      .catch(() => {
        // Only a shortcut for cold folds: the next commit past the interval tries again.
        this.newCheckpoints.delete(state.topicId);
      })
      .finally(() => this.background.delete(write));
    this.background.add(write);
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

  private async backoff(attempt: number): Promise<void> {
    // Full jitter: contending writers spread out instead of colliding again in lock step.
    const capMs = Math.min(100, 2 ** Math.min(attempt, 7));
    await this.options.clock.sleep(Math.floor(this.random() * capMs) + 1);
  }
}

/** The newest usable checkpoint: ours only once written (key set) and not past the record linked. */
function newest(
  inHead: CheckpointRef | undefined,
  ours: CheckpointRef | undefined,
  seq: number,
): CheckpointRef | undefined {
  if (ours && ours.key !== "" && ours.seq <= seq && ours.seq > (inHead?.seq ?? 0)) return ours;
  return inHead;
}

function headInfoOf(item: ManifestItem | undefined): HeadInfo {
  if (!item) return { version: 0, seq: 0, checkpoint: undefined, deleted: false };
  const d = item.data;
  const seq = d.seq;
  if (typeof seq !== "number" || !Number.isSafeInteger(seq) || seq < 0)
    throw new Error(`corrupt topic head ${item.pk}: seq ${JSON.stringify(seq)}`);
  const cp = d.checkpoint as ItemData | undefined;
  const checkpoint =
    cp && typeof cp.seq === "number" && typeof cp.key === "string" ? { seq: cp.seq, key: cp.key } : undefined;
  return { version: item.version, seq, checkpoint, deleted: d.deleted === true };
}

/** The tombstone topic deletion writes over the head (topic-store.ts): no link can follow it. */
export function tombstoneHeadItem(topicId: string, head: ManifestItem | undefined): ManifestItem {
  const info = headInfoOf(head);
  return {
    pk: chainPk(topicId),
    sk: HEAD_SK,
    version: info.version + 1,
    data: {
      seq: info.seq,
      ...(info.checkpoint ? { checkpoint: { seq: info.checkpoint.seq, key: info.checkpoint.key } } : {}),
      deleted: true,
    },
  };
}

export function isTombstonedHead(head: ManifestItem | undefined): boolean {
  return head?.data.deleted === true;
}

function recordToItem(topicId: string, record: CommitRecord): ManifestItem {
  return { pk: chainPk(topicId), sk: recordSk(record.seq), version: 1, data: { r: encodeRecord(record) } };
}

function recordFromItem(item: ManifestItem): CommitRecord {
  const bytes = item.data.r;
  if (!(bytes instanceof Uint8Array)) throw new Error(`corrupt commit record ${item.pk}/${item.sk}`);
  return decodeRecord(bytes);
}

/** Whether a write of this attempt may have reached the store (then the outcome is unknown). */
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
