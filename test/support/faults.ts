/**
 * Fault injection for the ports, driven by a seeded PRNG so a failing seed replays exactly.
 * The most important fault is "apply, then lose the response": the write happened and the caller
 * does not know (testing.md § Faults to inject).
 */
import {
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
}

export class FaultyManifestStore implements ManifestStore {
  readonly stats: FaultStats = { failedBefore: 0, lostResponses: 0 };
  enabled = true;

  constructor(
    private readonly inner: ManifestStore,
    private readonly random: () => number,
    private readonly rates: FaultRates,
  ) {}

  private roll(): "before" | "after" | "none" {
    if (!this.enabled) return "none";
    const r = this.random();
    if (r < this.rates.failBefore) return "before";
    if (r < this.rates.failBefore + this.rates.loseResponse) return "after";
    return "none";
  }

  private async run<T>(op: () => Promise<T>, isWrite: boolean): Promise<T> {
    if (this.enabled) await delayTurns(this.random, this.rates);
    const fate = this.roll();
    if (fate === "before") {
      this.stats.failedBefore++;
      throw new StoreUnavailableError("injected: request failed before reaching the manifest");
    }
    const result = await op();
    if (fate === "after" && isWrite) {
      this.stats.lostResponses++;
      throw new StoreUnavailableError("injected: response lost after the manifest applied the write");
    }
    return result;
  }

  get(pk: string, sk: string): Promise<ManifestItem | undefined> {
    return this.run(() => this.inner.get(pk, sk), false);
  }
  put(item: ManifestItem, condition: WriteCondition): Promise<void> {
    return this.run(() => this.inner.put(item, condition), true);
  }
  delete(pk: string, sk: string, condition?: WriteCondition): Promise<void> {
    return this.run(() => this.inner.delete(pk, sk, condition), true);
  }
  query(pk: string, options?: QueryOptions): Promise<QueryPage> {
    return this.run(() => this.inner.query(pk, options), false);
  }
}

export class FaultyObjectStore implements ObjectStore {
  readonly stats: FaultStats = { failedBefore: 0, lostResponses: 0 };
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
 * A deliberately broken manifest: head writes ignore their version condition (an unconditional
 * head write). The race tests must fail against it, which proves they can fail at all.
 */
export class UnconditionalHeadStore implements ManifestStore {
  constructor(private readonly inner: ManifestStore) {}
  get(pk: string, sk: string) {
    return this.inner.get(pk, sk);
  }
  put(item: ManifestItem, condition: WriteCondition) {
    return this.inner.put(
      item,
      item.sk === "head" && condition.kind === "version" ? { kind: "none" } : condition,
    );
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
