/**
 * Fault injection for the ports, driven by a seeded PRNG so a failing seed replays exactly.
 * The most important fault is "apply, then lose the response": the write happened and the caller
 * does not know (testing.md § Faults to inject).
 */
import { decodeRecord, encodeRecord } from "../../functions/src/engine/commit-record.js";
import {
  ConditionFailedError,
  type ItemData,
  type ManifestItem,
  type ManifestStore,
  type QueryOptions,
  type QueryPage,
  StoreUnavailableError,
  type WriteCondition,
} from "../../functions/src/ports/manifest-store.js";
import type { ByteRange, ListPage, ObjectStore } from "../../functions/src/ports/object-store.js";

/** mulberry32: tiny, fast, good enough to drive schedules and faults. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface FaultRates {
  /** Throw before the operation reaches the store (nothing happened). */
  failBefore: number;
  /** Apply the write, then throw as if the response was lost (it happened, the caller cannot tell). */
  loseResponse: number;
  /**
   * Conditional puts only: apply the write, then answer ConditionFailed, as when the response to a
   * landed write is lost and the SDK's automatic retry of it hits the very condition it just made
   * false. The caller must find its own write by evidence, not take this as "someone else won".
   */
  landThenConditionFail?: number;
  /** Up to this many event-loop turns of delay before each request: reorders concurrent requests. */
  maxDelayTurns?: number;
}

export const NO_FAULTS: FaultRates = { failBefore: 0, loseResponse: 0 };

async function delayTurns(random: () => number, rates: FaultRates): Promise<void> {
  const turns = Math.floor(random() * ((rates.maxDelayTurns ?? 0) + 1));
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export interface FaultStats {
  failedBefore: number;
  lostResponses: number;
  landedThenConditionFailed: number;
}

export class FaultyManifestStore implements ManifestStore {
  readonly stats: FaultStats = { failedBefore: 0, lostResponses: 0, landedThenConditionFailed: 0 };
  enabled = true;

  constructor(
    private readonly inner: ManifestStore,
    private readonly random: () => number,
    private readonly rates: FaultRates,
  ) {}

  private roll(): "before" | "after" | "landed-condition" | "none" {
    if (!this.enabled) return "none";
    const r = this.random();
    const { failBefore, loseResponse } = this.rates;
    if (r < failBefore) return "before";
    if (r < failBefore + loseResponse) return "after";
    if (r < failBefore + loseResponse + (this.rates.landThenConditionFail ?? 0)) return "landed-condition";
    return "none";
  }

  private async run<T>(
    op: () => Promise<T>,
    write?: { pk: string; sk: string; conditional: boolean },
  ): Promise<T> {
    if (this.enabled) await delayTurns(this.random, this.rates);
    const fate = this.roll();
    if (fate === "before") {
      this.stats.failedBefore++;
      throw new StoreUnavailableError("injected: request failed before reaching the manifest");
    }
    const result = await op();
    if (fate === "after" && write) {
      this.stats.lostResponses++;
      throw new StoreUnavailableError("injected: response lost after the manifest applied the write");
    }
    if (fate === "landed-condition" && write?.conditional) {
      this.stats.landedThenConditionFailed++;
      throw new ConditionFailedError(write.pk, write.sk);
    }
    return result;
  }

  get(pk: string, sk: string): Promise<ManifestItem | undefined> {
    return this.run(() => this.inner.get(pk, sk));
  }
  put(item: ManifestItem, condition: WriteCondition): Promise<void> {
    return this.run(() => this.inner.put(item, condition), {
      pk: item.pk,
      sk: item.sk,
      conditional: condition.kind !== "none",
    });
  }
  delete(pk: string, sk: string, condition?: WriteCondition): Promise<void> {
    return this.run(() => this.inner.delete(pk, sk, condition), { pk, sk, conditional: false });
  }
  query(pk: string, options?: QueryOptions): Promise<QueryPage> {
    return this.run(() => this.inner.query(pk, options));
  }
}

export class FaultyObjectStore implements ObjectStore {
  readonly stats: FaultStats = { failedBefore: 0, lostResponses: 0, landedThenConditionFailed: 0 };
  enabled = true;

  constructor(
    private readonly inner: ObjectStore,
    private readonly random: () => number,
    private readonly rates: FaultRates,
  ) {}

  private async run<T>(op: () => Promise<T>, isWrite: boolean): Promise<T> {
    if (this.enabled) await delayTurns(this.random, this.rates);
    const r = this.enabled ? this.random() : 1;
    if (r < this.rates.failBefore) {
      this.stats.failedBefore++;
      throw new Error("injected: S3 request failed (503 SlowDown)");
    }
    const result = await op();
    if (isWrite && r < this.rates.failBefore + this.rates.loseResponse) {
      this.stats.lostResponses++;
      throw new Error("injected: S3 response lost after the object was stored");
    }
    return result;
  }

  put(key: string, body: Uint8Array): Promise<void> {
    return this.run(() => this.inner.put(key, body), true);
  }
  get(key: string, range?: ByteRange): Promise<Uint8Array> {
    return this.run(() => this.inner.get(key, range), false);
  }
  delete(key: string): Promise<void> {
    return this.run(() => this.inner.delete(key), true);
  }
  list(prefix: string, options?: { cursor?: string; limit?: number }): Promise<ListPage> {
    return this.run(() => this.inner.list(prefix, options), false);
  }
}

/**
 * A deliberately broken manifest: commit writes ignore their conditions — a record claim
 * overwrites whatever holds its seq, a head link ignores the version (unconditional writes). The
 * race tests must fail against it, which proves they can fail at all.
 */
export class UnconditionalHeadStore implements ManifestStore {
  constructor(private readonly inner: ManifestStore) {}
  get(pk: string, sk: string) {
    return this.inner.get(pk, sk);
  }
  put(item: ManifestItem, condition: WriteCondition) {
    const commitWrite = item.pk.startsWith("s#") && (item.sk === "head" || item.sk.startsWith("c#"));
    return this.inner.put(item, commitWrite && condition.kind !== "none" ? { kind: "none" } : condition);
  }
  delete(pk: string, sk: string, condition?: WriteCondition) {
    return this.inner.delete(pk, sk, condition);
  }
  query(pk: string, options?: QueryOptions) {
    return this.inner.query(pk, options);
  }
}

/** Counts requests by kind, whatever store is underneath (request-cost assertions). */
export class CountingManifestStore implements ManifestStore {
  readonly counts = { get: 0, put: 0, delete: 0, query: 0 };
  constructor(private readonly inner: ManifestStore) {}
  get(pk: string, sk: string) {
    this.counts.get++;
    return this.inner.get(pk, sk);
  }
  put(item: ManifestItem, condition: WriteCondition) {
    this.counts.put++;
    return this.inner.put(item, condition);
  }
  delete(pk: string, sk: string, condition?: WriteCondition) {
    this.counts.delete++;
    return this.inner.delete(pk, sk, condition);
  }
  query(pk: string, options?: QueryOptions) {
    this.counts.query++;
    return this.inner.query(pk, options);
  }
}

/**
 * A process's lifetime, shared by the store wrappers of one engine instance. Once `kill()`ed,
 * every request the dead instance starts fails, and every request it had in flight loses its
 * response (it may or may not have landed, depending on whether the store got it first): a
 * SIGKILLed process's background work (entry writes, queued flushes, retries) cannot keep
 * writing afterwards, and nothing it remembered survives.
 */
export class ProcessLife {
  dead = false;
  kill(): void {
    this.dead = true;
  }
  async run<T>(op: () => Promise<T>): Promise<T> {
    if (this.dead) throw new ProcessDeadError();
    const result = await op();
    if (this.dead) throw new ProcessDeadError();
    return result;
  }
}

/** Thrown inside a dead engine instance; its clients see their connection reset (unknown outcome). */
export class ProcessDeadError extends Error {
  constructor() {
    super("injected: the process is dead");
    this.name = "ProcessDeadError";
  }
}

export class MortalManifestStore implements ManifestStore {
  constructor(
    private readonly inner: ManifestStore,
    private readonly life: ProcessLife,
  ) {}
  get(pk: string, sk: string) {
    return this.life.run(() => this.inner.get(pk, sk));
  }
  put(item: ManifestItem, condition: WriteCondition) {
    return this.life.run(() => this.inner.put(item, condition));
  }
  delete(pk: string, sk: string, condition?: WriteCondition) {
    return this.life.run(() => this.inner.delete(pk, sk, condition));
  }
  query(pk: string, options?: QueryOptions) {
    return this.life.run(() => this.inner.query(pk, options));
  }
}

export class MortalObjectStore implements ObjectStore {
  constructor(
    private readonly inner: ObjectStore,
    private readonly life: ProcessLife,
  ) {}
  put(key: string, body: Uint8Array) {
    return this.life.run(() => this.inner.put(key, body));
  }
  get(key: string, range?: ByteRange) {
    return this.life.run(() => this.inner.get(key, range));
  }
  delete(key: string) {
    return this.life.run(() => this.inner.delete(key));
  }
  list(prefix: string, options?: { cursor?: string; limit?: number }) {
    return this.life.run(() => this.inner.list(prefix, options));
  }
}

/**
 * A ManifestStore that passes every call to `inner`: the fault and mutant wrappers below extend
 * it and override only the calls they change.
 */
export class ForwardingManifestStore implements ManifestStore {
  constructor(protected readonly inner: ManifestStore) {}
  get(pk: string, sk: string): Promise<ManifestItem | undefined> {
    return this.inner.get(pk, sk);
  }
  put(item: ManifestItem, condition: WriteCondition): Promise<void> {
    return this.inner.put(item, condition);
  }
  delete(pk: string, sk: string, condition?: WriteCondition): Promise<void> {
    return this.inner.delete(pk, sk, condition);
  }
  query(pk: string, options?: QueryOptions) {
    return this.inner.query(pk, options);
  }
}

/**
 * Runs `between` after the next head link lands and before its response is lost: another
 * writer can then commit on top, so our record is no longer the newest when we look for it (the
 * lost-response check must read the record at our seq).
 */
export class LoseNextHeadResponse extends ForwardingManifestStore {
  private armed: (() => Promise<void>) | undefined;
  arm(between: () => Promise<void>): void {
    this.armed = between;
  }
  override async put(item: ManifestItem, condition: WriteCondition) {
    const between = item.sk === "head" && condition.kind !== "none" ? this.armed : undefined;
    await this.inner.put(item, condition);
    if (!between) return;
    this.armed = undefined;
    await between();
    throw new StoreUnavailableError("injected: head write landed, response lost");
  }
}

// ---- Mutants: deliberately broken protocols the suites must catch (test/reliability/mutation-proofs) --

/**
 * MUTANT (test only): the lost-response check ignores the evidence. Single-item reads of commit
 * records (`c#…`) answer "absent"; only the committer reads records that way (readers query), so
 * after a lost response it can recognise its commit only while it is the newest record.
 */
export class EntryBlindRecheckStore extends ForwardingManifestStore {
  override async get(pk: string, sk: string) {
    return sk.startsWith("c#") ? undefined : this.inner.get(pk, sk);
  }
}

/**
 * MUTANT (test only): producer-state eviction. Every commit record is stored without its
 * producers' updates, so every process that folds it forgets them, as a manifest that evicted
 * live producer state to make room would; a retry of a batch whose acknowledgement was lost,
 * sent through another agent, is then taken for a new one and written again.
 */
export class ProducerEvictingStore extends ForwardingManifestStore {
  override put(item: ManifestItem, condition: WriteCondition) {
    const bytes = item.data.r;
    if (!item.sk.startsWith("c#") || !(bytes instanceof Uint8Array)) return this.inner.put(item, condition);
    const forgetful = encodeRecord({ ...decodeRecord(bytes), producers: [] });
    return this.inner.put({ ...item, data: { ...item.data, r: forgetful } }, condition);
  }
}

/**
 * MUTANT (test only): the consumer-group lease fence is dropped. Reads of a group's state see
 * every member's lease as never ending, so a member paused past its lease (a zombie) still
 * passes the coordinator's "live member at this generation" check and its commit lands.
 */
const LEASE_NEVER_ENDS_MS = 100_000_000_000_000; // year 5138: far off, yet items still round-trip

export class LeaseFenceDroppedStore extends ForwardingManifestStore {
  override async get(pk: string, sk: string) {
    const item = await this.inner.get(pk, sk);
    if (!item || sk !== "state" || !Array.isArray(item.data.members)) return item;
    const members = (item.data.members as ItemData[]).map((m) => ({
      ...m,
      lease_expires_at: LEASE_NEVER_ENDS_MS,
    }));
    return { ...item, data: { ...item.data, members } };
  }
}
