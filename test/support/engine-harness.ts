/**
 * Drives several engine instances (writers) sharing one manifest and one bucket, as several
 * agents or Lambda invocations would, records a client-side history and reads everything back
 * for the checker. Used by the race, crash and model-based tests, over the in-memory adapters
 * and over dynalite/s3rver.
 */
import { FloeError } from "../../client/src/errors.js";
import { decodeRecordBatches, encodeRecordBatch } from "../../client/src/format/index.js";
import { appendFromBatches } from "../../functions/src/engine/batch-validation.js";
import type { CrashHook, CrashPoint } from "../../functions/src/engine/committer.js";
import { FloeLog } from "../../functions/src/engine/log.js";
import type { TopicMeta } from "../../functions/src/engine/model.js";
import type { Clock } from "../../functions/src/ports/clock.js";
import type { ManifestStore } from "../../functions/src/ports/manifest-store.js";
import type { ObjectStore } from "../../functions/src/ports/object-store.js";
import {
  type FaultRates,
  FaultyManifestStore,
  FaultyObjectStore,
  NO_FAULTS,
  seededRandom,
} from "./faults.js";
import {
  type AppendOp,
  type CheckReport,
  checkHistory,
  type FinalRead,
  type Op,
  type ReadOp,
} from "./history.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface Writer {
  log: FloeLog;
  manifest: FaultyManifestStore;
  objects: FaultyObjectStore;
}

export interface ClusterOptions {
  manifest: ManifestStore;
  objects: ObjectStore;
  clock: Clock;
  writers: number;
  random: () => number;
  manifestFaults?: FaultRates;
  objectFaults?: FaultRates;
  commitTimeoutMs?: number;
  crashHook?: (writer: number) => CrashHook | undefined;
}

export function makeWriters(o: ClusterOptions): Writer[] {
  return Array.from({ length: o.writers }, (_, i) => {
    const manifest = new FaultyManifestStore(o.manifest, o.random, o.manifestFaults ?? NO_FAULTS);
    const objects = new FaultyObjectStore(o.objects, o.random, o.objectFaults ?? NO_FAULTS);
    const crashHook = o.crashHook?.(i);
    const log = new FloeLog({
      manifest,
      objects,
      clock: o.clock,
      writerId: `writer-${i}`,
      random: o.random,
      limits: { commitTimeoutMs: o.commitTimeoutMs ?? 5_000, topicCacheTtlMs: 60_000 },
      ...(crashHook ? { crashHook } : {}),
    });
    return { log, manifest, objects };
  });
}

export function batchOf(
  values: string[],
  timestamp: number,
  compression: "none" | "lz4" = "none",
): Uint8Array {
  return encodeRecordBatch({
    compression,
    records: values.map((v) => ({ key: null, value: encoder.encode(v), headers: [], timestamp })),
  });
}

export interface WorkloadOptions {
  writers: Writer[];
  topic: TopicMeta;
  clock: Clock;
  random: () => number;
  clients: number;
  opsPerClient: number;
  /** Share of clients that use an idempotent producer. */
  idempotentShare: number;
  /** Probability that an op is a read instead of an append. */
  readShare: number;
  /** Retries of an unknown-outcome idempotent append (through other writers). */
  maxRetries: number;
}

/** Runs the clients concurrently; each client is sequential, as a Kafka producer per partition is. */
export async function runWorkload(w: WorkloadOptions): Promise<Op[]> {
  const history: Op[] = [];
  let opCounter = 0;
  const pick = <T>(xs: T[]): T => xs[Math.floor(w.random() * xs.length)]!;
  const clientTasks = Array.from({ length: w.clients }, async (_, c) => {
    const client = `c${c}`;
    const idempotent = c < Math.round(w.clients * w.idempotentShare);
    // Per partition: the producer's epoch and next sequence. After an unknown outcome the producer
    // cannot know its next sequence, so it bumps its epoch and restarts at 0, as Kafka's does.
    const sequences = new Map<number, { epoch: number; next: number }>();
    for (let i = 0; i < w.opsPerClient; i++) {
      const partition = Math.floor(w.random() * w.topic.partitions);
      const opId = opCounter++;
      if (w.random() < w.readShare) {
        history.push(await readOnce(pick(w.writers), w.topic, partition, client, opId, w.clock, w.random));
        continue;
      }
      const values = Array.from({ length: 1 + Math.floor(w.random() * 3) }, (_, k) => `${client}-${i}-${k}`);
      const payload = batchOf(values, w.clock.now(), w.random() < 0.3 ? "lz4" : "none");
      const seq = sequences.get(partition) ?? { epoch: 0, next: 0 };
      const op: AppendOp = {
        kind: "append",
        client,
        opId,
        partition: `${partition}`,
        values,
        invokedAt: w.clock.now(),
        completedAt: 0,
        outcome: "unknown",
        idempotent,
      };
      for (let attempt = 0; attempt <= (idempotent ? w.maxRetries : 0); attempt++) {
        const writer = pick(w.writers);
        const append = appendFromBatches(
          w.topic,
          partition,
          payload,
          idempotent ? { producer: { id: client, epoch: seq.epoch, firstSequence: seq.next } } : {},
        );
        let outcome: Awaited<ReturnType<FloeLog["append"]>>[number];
        try {
          [outcome] = (await writer.log.append([append])) as [typeof outcome];
        } catch (error) {
          if (error instanceof CrashError) {
            op.outcome = "unknown";
            continue; // the writer "died" mid-append: outcome unknown, try another writer
          }
          throw error;
        }
        if (outcome.ok) {
          op.outcome = "ok";
          op.offsets = values.map((_, k) => outcome.baseOffset + k);
          break;
        }
        if (outcome.error.code === "unavailable") {
          op.outcome = "unknown";
          continue;
        }
        op.outcome = "fail";
        op.error = outcome.error.code;
        break;
      }
      op.completedAt = w.clock.now();
      if (op.outcome === "ok") sequences.set(partition, { epoch: seq.epoch, next: seq.next + values.length });
      if (op.outcome === "unknown") sequences.set(partition, { epoch: seq.epoch + 1, next: 0 });
      history.push(op);
    }
  });
  await Promise.all(clientTasks);
  return history;
}

export class CrashError extends Error {
  constructor(readonly point: string) {
    super(`injected crash at ${point}`);
    this.name = "CrashError";
  }
}

async function readOnce(
  writer: Writer,
  topic: TopicMeta,
  partition: number,
  client: string,
  opId: number,
  clock: Clock,
  random: () => number,
): Promise<ReadOp> {
  const invokedAt = clock.now();
  const records: ReadOp["records"] = [];
  let highWatermark = 0;
  try {
    const tail = await writer.log.tail(topic.name, partition);
    const from = tail.logStartOffset + Math.floor(random() * (tail.highWatermark - tail.logStartOffset + 1));
    const result = await writer.log.fetch(
      topic.name,
      partition,
      { offset: from },
      { maxBytes: 64 * 1024, maxRecords: 50, clamp: true },
    );
    highWatermark = result.highWatermark;
    for (const b of result.batches) {
      for (const d of decodeRecordBatches(b.bytes))
        for (const r of d.records)
          if (r.offset >= from) records.push({ offset: r.offset, value: decoder.decode(r.value!) });
    }
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    // A read that failed observed nothing.
  }
  return {
    kind: "read",
    client,
    opId,
    partition: `${partition}`,
    records,
    highWatermark,
    invokedAt,
    completedAt: clock.now(),
  };
}

/** Reads every partition from its log start to its high watermark with faults off. */
export async function finalRead(log: FloeLog, topic: TopicMeta): Promise<FinalRead[]> {
  const finals: FinalRead[] = [];
  for (let p = 0; p < topic.partitions; p++) {
    const tail = await log.tail(topic.name, p);
    const records: FinalRead["records"] = [];
    let offset = tail.logStartOffset;
    while (offset < tail.highWatermark) {
      let result: Awaited<ReturnType<FloeLog["fetch"]>>;
      try {
        result = await log.fetch(
          topic.name,
          p,
          { offset },
          { maxBytes: 1024 * 1024, maxRecords: 10_000, clamp: false },
        );
      } catch (error) {
        // An offset below the high watermark that cannot be read is a hole: skip it and let the
        // checker report the gap (and whatever was lost with it).
        if (!(error instanceof FloeError) || error.code !== "internal") throw error;
        offset++;
        continue;
      }
      for (const b of result.batches)
        for (const d of decodeRecordBatches(b.bytes))
          for (const r of d.records)
            if (r.offset >= offset) records.push({ offset: r.offset, value: decoder.decode(r.value!) });
      if (result.nextOffset <= offset) throw new Error(`final read made no progress at ${p}@${offset}`);
      offset = result.nextOffset;
    }
    finals.push({
      partition: `${p}`,
      logStartOffset: tail.logStartOffset,
      highWatermark: tail.highWatermark,
      records,
    });
  }
  return finals;
}

const CRASH_POINTS: CrashPoint[] = [
  "after-s3-put",
  "before-head-commit",
  "after-head-commit",
  "before-entry-write",
  "before-ack",
];

export interface RaceScenario {
  seed: number;
  clock: Clock;
  manifest: ManifestStore;
  objects: ObjectStore;
  /** Event-loop turns of random delay before each store request (reorders requests in memory). */
  maxDelayTurns?: number;
  topicName?: string;
  faults: boolean;
  crashRate: number;
  clients?: number;
  opsPerClient?: number;
}

/**
 * Three writers share `manifest` and `objects`; clients append (half of them idempotently,
 * retrying unknown outcomes through other writers) and read; then a fresh engine reads everything
 * back and the checker judges the history.
 */
export async function runRaceScenario(o: RaceScenario): Promise<CheckReport> {
  const random = seededRandom(o.seed);
  const { clock, manifest, objects } = o;
  const turns = o.maxDelayTurns ?? 0;
  const faults = o.faults
    ? { failBefore: 0.03, loseResponse: 0.05, maxDelayTurns: turns }
    : { failBefore: 0, loseResponse: 0, maxDelayTurns: turns };
  const writers = makeWriters({
    manifest,
    objects,
    clock,
    writers: 3,
    random,
    manifestFaults: faults,
    objectFaults: o.faults
      ? { failBefore: 0.02, loseResponse: 0.02, maxDelayTurns: turns }
      : { failBefore: 0, loseResponse: 0 },
    crashHook: () =>
      o.crashRate > 0
        ? (point) => {
            if (CRASH_POINTS.includes(point) && random() < o.crashRate) throw new CrashError(point);
          }
        : undefined,
  });
  for (const w of writers) w.manifest.enabled = false;
  const topic = await writers[0]!.log.topics.create(o.topicName ?? "races", 2);
  for (const w of writers) w.manifest.enabled = true;
  const history = await runWorkload({
    writers,
    topic,
    clock,
    random,
    clients: o.clients ?? 6,
    opsPerClient: o.opsPerClient ?? 25,
    idempotentShare: 0.5,
    readShare: 0.2,
    maxRetries: 6,
  });
  for (const w of writers) {
    w.manifest.enabled = false;
    w.objects.enabled = false;
  }
  // A fresh reader, as after a restart: it knows only what the manifest and the bucket hold.
  const [reader] = makeWriters({ manifest, objects, clock, writers: 1, random });
  return checkHistory(history, await finalRead(reader!.log, topic));
}
