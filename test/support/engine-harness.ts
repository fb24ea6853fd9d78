/**
 * Drives several agents (engine instances, each behind the container agent's batcher) sharing one
 * manifest and one bucket, records a client-side history and reads everything back for the
 * checker. Used by the race, crash and model-based tests, over the in-memory adapters
 * and over dynalite/s3rver.
 */
import { FloeError } from "../../client/src/errors.js";
import { decodeRecordBatches, encodeRecordBatch } from "../../client/src/format/index.js";
import { Batcher } from "../../functions/src/agent/batcher.js";
import type { AppendOutcome } from "../../functions/src/engine/append-types.js";
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
  MortalManifestStore,
  MortalObjectStore,
  NO_FAULTS,
  ProcessDeadError,
  ProcessLife,
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

/**
 * One agent process: an engine instance with its caches and its cross-request batcher (the one
 * the container agent runs), over store wrappers that inject faults and die with it.
 */
export interface Agent {
  name: string;
  log: FloeLog;
  batcher: Batcher;
  manifest: FaultyManifestStore;
  objects: FaultyObjectStore;
  life: ProcessLife;
}

export interface ClusterOptions {
  manifest: ManifestStore;
  objects: ObjectStore;
  clock: Clock;
  agents: number;
  random: () => number;
  manifestFaults?: FaultRates;
  objectFaults?: FaultRates;
  commitTimeoutMs?: number;
  /** Probability of a crash at each crash point an agent passes. */
  crashRate?: number;
  /** Crash exactly when this says so instead (deterministic tests). */
  crashWhen?: (point: CrashPoint, agent: string) => boolean;
}

const CRASH_POINTS: CrashPoint[] = [
  "after-s3-put",
  "before-head-commit",
  "after-head-commit",
  "before-entry-write",
  "before-ack",
];

/**
 * Agents sharing one manifest and one bucket. A crash kills the agent's process: the instance,
 * its memory (caches, own heads, background entry writes, the batcher and what it queued) is
 * abandoned — its stores answer nothing any more — and a new instance starts on the same stores
 * in its slot, as a supervisor restarting a SIGKILLed agent would.
 */
export class Cluster {
  readonly agents: Agent[];
  crashes = 0;
  /** Flushes whose appends spanned more than one partition. */
  multiPartitionFlushes = 0;
  private readonly incarnations: number[];

  constructor(private readonly o: ClusterOptions) {
    this.incarnations = Array.from({ length: o.agents }, () => 0);
    this.agents = Array.from({ length: o.agents }, (_, slot) => this.start(slot));
  }

  private start(slot: number): Agent {
    const o = this.o;
    const life = new ProcessLife();
    const name = `agent-${slot}.${this.incarnations[slot]!++}`;
    const manifest = new FaultyManifestStore(
      new MortalManifestStore(o.manifest, life),
      o.random,
      o.manifestFaults ?? NO_FAULTS,
    );
    const objects = new FaultyObjectStore(
      new MortalObjectStore(o.objects, life),
      o.random,
      o.objectFaults ?? NO_FAULTS,
    );
    const crashRate = o.crashRate ?? 0;
    const crashHook: CrashHook = (point) => {
      if (life.dead) throw new ProcessDeadError();
      const crash = o.crashWhen
        ? o.crashWhen(point, name)
        : crashRate > 0 && CRASH_POINTS.includes(point) && o.random() < crashRate;
      if (crash) {
        this.crash(slot, life);
        throw new CrashError(point);
      }
    };
    const log = new FloeLog({
      manifest,
      objects,
      clock: o.clock,
      writerId: name,
      random: o.random,
      limits: { commitTimeoutMs: o.commitTimeoutMs ?? 5_000, topicCacheTtlMs: 60_000 },
      crashHook,
    });
    // lingerMs 0 flushes at once when a slot is free; while both slots are busy, requests from
    // every client and partition join the waiting batch, so flushes span partitions and clients
    // without any timer deciding what goes together.
    const batcher = new Batcher({
      flush: (appends) => {
        if (new Set(appends.map((a) => a.partition)).size > 1) this.multiPartitionFlushes++;
        return log.append(appends);
      },
      lingerMs: 0,
      segmentBytesMax: 256 * 1024,
      flushBytesMin: 1,
      inflightBytesMax: 64 * 1024 * 1024,
      maxConcurrentFlushes: 2,
    });
    return { name, log, batcher, manifest, objects, life };
  }

  /** Kills the process `life` (if it still runs `slot`) and starts a fresh instance there. */
  crash(slot: number, life: ProcessLife): void {
    if (life.dead) return;
    life.kill();
    this.crashes++;
    if (this.agents[slot]!.life === life) this.agents[slot] = this.start(slot);
  }

  setFaults(enabled: boolean): void {
    for (const a of this.agents) {
      a.manifest.enabled = enabled;
      a.objects.enabled = enabled;
    }
  }

  /** Lets every live agent answer what it accepted and finish its background entry writes. */
  async drain(): Promise<void> {
    for (const a of this.agents) {
      await a.batcher.close();
      await a.log.settle();
    }
  }
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
  cluster: Cluster;
  topic: TopicMeta;
  clock: Clock;
  random: () => number;
  clients: number;
  opsPerClient: number;
  /** Share of clients that use an idempotent producer. */
  idempotentShare: number;
  /** Probability that an op is a read instead of an append. */
  readShare: number;
  /** Retries of an unknown-outcome idempotent append (through other agents). */
  maxRetries: number;
  /** Resends of an unknown-outcome append without idempotence (recorded: may land twice). */
  nonIdempotentResends: number;
}

/**
 * Runs the clients concurrently. Each client keeps one request in flight per partition (a Kafka
 * producer is sequential per partition) and all its partitions in flight at once, through
 * whichever agent it picks, so agents' batchers mix clients and partitions in one flush.
 */
export async function runWorkload(w: WorkloadOptions): Promise<Op[]> {
  const history: Op[] = [];
  let opCounter = 0;
  const pick = (): Agent => w.cluster.agents[Math.floor(w.random() * w.cluster.agents.length)]!;
  const clientTasks = Array.from({ length: w.clients }, (_, c) => {
    const client = `c${c}`;
    const idempotent = c < Math.round(w.clients * w.idempotentShare);
    const lanes = Array.from({ length: w.topic.partitions }, (_, partition) => partition);
    let nextOp = 0;
    return Promise.all(
      lanes.map(async (partition) => {
        // The producer's epoch and next sequence on this partition. After an unknown outcome the
        // producer cannot know its next sequence, so it bumps its epoch and restarts at 0, as
        // Kafka's does.
        let seq = { epoch: 0, next: 0 };
        while (nextOp < w.opsPerClient) {
          const i = nextOp++;
          const opId = opCounter++;
          if (w.random() < w.readShare) {
            history.push(await readOnce(pick(), w.topic, partition, client, opId, w.clock, w.random));
            continue;
          }
          const op = await appendOnce(w, pick, {
            client,
            opId,
            partition,
            idempotent,
            seq,
            values: Array.from({ length: 1 + Math.floor(w.random() * 3) }, (_, k) => `${client}-${i}-${k}`),
          });
          if (op.outcome === "ok") seq = { epoch: seq.epoch, next: seq.next + op.values.length };
          if (op.outcome === "unknown") seq = { epoch: seq.epoch + 1, next: 0 };
          history.push(op);
        }
      }),
    );
  });
  await Promise.all(clientTasks);
  return history;
}

async function appendOnce(
  w: WorkloadOptions,
  pick: () => Agent,
  a: {
    client: string;
    opId: number;
    partition: number;
    idempotent: boolean;
    seq: { epoch: number; next: number };
    values: string[];
  },
): Promise<AppendOp> {
  const payload = batchOf(a.values, w.clock.now(), w.random() < 0.3 ? "lz4" : "none");
  const op: AppendOp = {
    kind: "append",
    client: a.client,
    opId: a.opId,
    partition: `${a.partition}`,
    values: a.values,
    invokedAt: w.clock.now(),
    completedAt: 0,
    outcome: "unknown",
    idempotent: a.idempotent,
    sends: 0,
  };
  const attempts = 1 + (a.idempotent ? w.maxRetries : w.nonIdempotentResends);
  for (let attempt = 0; attempt < attempts; attempt++) {
    const append = appendFromBatches(
      w.topic,
      a.partition,
      payload,
      a.idempotent ? { producer: { id: a.client, epoch: a.seq.epoch, firstSequence: a.seq.next } } : {},
    );
    op.sends!++;
    let outcome: AppendOutcome;
    const agent = pick();
    try {
      [outcome] = (await agent.batcher.append([append])) as [AppendOutcome];
      // A process that died while serving the request cannot answer it: its client sees the
      // connection reset, whatever the dead instance's code computed afterwards.
      if (agent.life.dead) throw new ProcessDeadError();
    } catch (error) {
      // The agent died mid-request (the connection reset) or refused it while shutting down:
      // the outcome is unknown, try another agent.
      if (error instanceof CrashError || error instanceof ProcessDeadError || error instanceof FloeError) {
        op.outcome = "unknown";
        continue;
      }
      throw error;
    }
    if (outcome.ok) {
      op.outcome = "ok";
      op.offsets = a.values.map((_, k) => outcome.baseOffset + k);
      break;
    }
    // 5xx (`unavailable`, `internal`): this attempt's outcome is unknown or it did nothing; either
    // way an earlier attempt may have landed, so only a retry (a duplicate verdict) can tell.
    if (outcome.error.status >= 500) {
      op.outcome = "unknown";
      continue;
    }
    // A refusal is definite even on a resend: an idempotent retry of a batch that landed must be
    // acknowledged as a duplicate, so a refusal of one that landed shows up as an aborted read.
    // A plain (non-idempotent) resend has no such guarantee: its refusal says nothing of the
    // earlier attempt whose outcome was unknown, so the operation stays unknown.
    if (!a.idempotent && op.outcome === "unknown") {
      op.error = outcome.error.code;
      break;
    }
    op.outcome = "fail";
    op.error = outcome.error.code;
    break;
  }
  op.completedAt = w.clock.now();
  return op;
}

export class CrashError extends Error {
  constructor(readonly point: string) {
    super(`injected crash at ${point}`);
    this.name = "CrashError";
  }
}

async function readOnce(
  agent: Agent,
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
  let from: number | undefined;
  try {
    const tail = await agent.log.tail(topic.name, partition);
    from = tail.logStartOffset + Math.floor(random() * (tail.highWatermark - tail.logStartOffset + 1));
    const result = await agent.log.fetch(
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
    ...(from !== undefined ? { from } : {}),
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
  partitions?: number;
}

/**
 * Three agents share `manifest` and `objects`; clients append through the agents' batchers (half
 * of them idempotently, retrying unknown outcomes through other agents; the others resend once,
 * recorded) and read; crashes replace an agent's instance; then a fresh engine reads everything
 * back and the checker judges the history.
 */
export async function runRaceScenario(o: RaceScenario): Promise<RaceResult> {
  const random = seededRandom(o.seed);
  const { clock, manifest, objects } = o;
  const turns = o.maxDelayTurns ?? 0;
  const faults = o.faults
    ? { failBefore: 0.03, loseResponse: 0.05, landThenConditionFail: 0.03, maxDelayTurns: turns }
    : { failBefore: 0, loseResponse: 0, maxDelayTurns: turns };
  const cluster = new Cluster({
    manifest,
    objects,
    clock,
    agents: 3,
    random,
    manifestFaults: faults,
    objectFaults: o.faults
      ? { failBefore: 0.02, loseResponse: 0.02, maxDelayTurns: turns }
      : { failBefore: 0, loseResponse: 0 },
    crashRate: o.crashRate,
  });
  cluster.setFaults(false);
  const topic = await cluster.agents[0]!.log.topics.create(o.topicName ?? "races", o.partitions ?? 2);
  cluster.setFaults(true);
  const history = await runWorkload({
    cluster,
    topic,
    clock,
    random,
    clients: o.clients ?? 6,
    opsPerClient: o.opsPerClient ?? 25,
    idempotentShare: 0.5,
    readShare: 0.2,
    maxRetries: 6,
    nonIdempotentResends: 1,
  });
  cluster.setFaults(false);
  await cluster.drain();
  // A fresh reader, as after a restart: it knows only what the manifest and the bucket hold.
  const reader = new FloeLog({ manifest, objects, clock, random });
  const report = checkHistory(history, await finalRead(reader, topic));
  const stats = {
    crashes: cluster.crashes,
    multiPartitionFlushes: cluster.multiPartitionFlushes,
    landedThenConditionFailed: 0,
    lostResponses: 0,
    flushes: 0,
    appends: 0,
  };
  for (const a of cluster.agents) {
    stats.landedThenConditionFailed += a.manifest.stats.landedThenConditionFailed;
    stats.lostResponses += a.manifest.stats.lostResponses;
    stats.flushes += a.batcher.stats.flushes;
    stats.appends += a.batcher.stats.appends;
  }
  return { ...report, stats };
}

export interface RaceResult extends CheckReport {
  /** What the run exercised (of the agents alive at the end, plus every crash). */
  stats: {
    crashes: number;
    multiPartitionFlushes: number;
    landedThenConditionFailed: number;
    lostResponses: number;
    flushes: number;
    appends: number;
  };
}
