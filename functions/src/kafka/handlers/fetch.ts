/**
 * Fetch (sessionless): the engine's reader returns whole stored batches with their offsets
 * patched in, exactly what a Kafka consumer decodes; a fetch starting inside a batch gets the
 * whole batch and the client skips the records before its offset, as with any Kafka broker.
 *
 * Limits: the response's max_bytes and each partition's partition_max_bytes (both capped by the
 * agent's fetch ceiling; the first batch always comes so a consumer can never stall on a batch
 * larger than its limit); min_bytes and max_wait_ms long-poll on the engine's head watcher, the
 * same one the HTTP long-poll uses.
 */
import type { TopicMeta } from "../../engine/model.js";
import type { Message } from "../codec/codec.js";
import type { Handler, RequestContext } from "../context.js";
import { KAFKA, kafkaError } from "../errors.js";

interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  isolationLevel: number;
  sessionId: number;
  sessionEpoch: number;
  topics: {
    topic: string;
    partitions: { partition: number; fetchOffset: number; partitionMaxBytes: number }[];
  }[];
}

interface PartitionData {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: null;
  preferredReadReplica: number;
  records: Uint8Array;
}

/** No records is an empty record set, not a null one: librdkafka refuses a null set. */
const EMPTY = new Uint8Array(0);

/** Kafka's FETCH_SESSION_ID_NOT_FOUND: we keep no fetch sessions (KIP-227 lets a broker decline them). */
const FETCH_SESSION_ID_NOT_FOUND = 70;

/** Re-reads while waiting for min_bytes, at most this many times per request. */
const MAX_WAIT_ROUNDS = 100;

interface Slot {
  topic: string;
  partition: number;
  offset: number;
  maxBytes: number;
  meta?: TopicMeta;
  data: PartitionData;
}

function empty(partition: number, errorCode: number): PartitionData {
  return {
    partitionIndex: partition,
    errorCode,
    highWatermark: -1,
    lastStableOffset: -1,
    logStartOffset: -1,
    abortedTransactions: null,
    preferredReadReplica: -1,
    records: EMPTY,
  };
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** Reads every partition once, in request order, within the response's byte budget. */
async function readAll(slots: Slot[], maxBytes: number, ctx: RequestContext): Promise<number> {
  const { log, limits } = ctx.deps;
  let total = 0;
  for (const slot of slots) {
    try {
      slot.meta ??= await log.requirePartition(slot.topic, slot.partition);
      const budget = Math.min(slot.maxBytes, maxBytes - total);
      if (budget <= 0 && total > 0) {
        // The response is full: report where the partition stands, without its records.
        const tail = await log.tail(slot.topic, slot.partition);
        slot.data = { ...empty(slot.partition, KAFKA.NONE), highWatermark: tail.highWatermark };
        slot.data.lastStableOffset = tail.highWatermark;
        slot.data.logStartOffset = tail.logStartOffset;
        continue;
      }
      const result = await log.fetch(
        slot.topic,
        slot.partition,
        { offset: slot.offset },
        { maxBytes: Math.max(1, budget), maxRecords: limits.fetchRecordsMax, clamp: false },
      );
      const bytes = result.batches.map((b) => b.bytes);
      const size = bytes.reduce((n, b) => n + b.byteLength, 0);
      total += size;
      slot.data = {
        ...empty(slot.partition, KAFKA.NONE),
        highWatermark: result.highWatermark,
        lastStableOffset: result.highWatermark,
        logStartOffset: result.logStartOffset,
        records: size > 0 ? concat(bytes) : EMPTY,
      };
    } catch (error) {
      const e = kafkaError(error);
      if (e.code === KAFKA.UNKNOWN_SERVER_ERROR) ctx.deps.logError(error);
      slot.data = empty(slot.partition, e.code);
      const details = (error as { details?: Record<string, unknown> }).details;
      if (e.code === KAFKA.OFFSET_OUT_OF_RANGE && details) {
        slot.data.highWatermark = Number(details.high_watermark ?? -1);
        slot.data.lastStableOffset = slot.data.highWatermark;
        slot.data.logStartOffset = Number(details.log_start_offset ?? -1);
      }
    }
  }
  return total;
}

/** Waits until any partition gets a record past its high watermark, the deadline, or close. */
async function waitForData(slots: Slot[], waitMs: number, ctx: RequestContext): Promise<void> {
  const stop = new AbortController();
  const onClose = () => stop.abort();
  ctx.signal.addEventListener("abort", onClose, { once: true });
  try {
    const waits = slots
      .filter((s) => s.meta && s.data.errorCode === KAFKA.NONE)
      .map((s) => ctx.deps.watcher.wait(s.meta!, s.partition, s.data.highWatermark, waitMs, stop.signal));
    if (waits.length === 0) return;
    await Promise.race(waits);
  } finally {
    stop.abort();
    ctx.signal.removeEventListener("abort", onClose);
  }
}

export const handleFetch: Handler = async (message, ctx) => {
  const req = message as unknown as FetchRequest;
  const { clock, limits } = ctx.deps;
  const reply = (errorCode: number, slots: Slot[]): Message => ({
    throttleTimeMs: 0,
    errorCode,
    sessionId: 0,
    responses: req.topics.map((t) => ({
      topic: t.topic,
      partitions: t.partitions.map(() => slots.shift()!.data),
    })),
  });
  if (req.sessionId !== 0) {
    return { throttleTimeMs: 0, errorCode: FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
  }
  const maxBytes = Math.min(Math.max(req.maxBytes, 1), limits.fetchBytesMax);
  const slots: Slot[] = req.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.topic,
      partition: p.partition,
      offset: p.fetchOffset,
      maxBytes: Math.min(Math.max(p.partitionMaxBytes, 1), limits.fetchBytesMax),
      data: empty(p.partition, KAFKA.NONE),
    })),
  );
  const deadline = clock.now() + Math.min(Math.max(req.maxWaitMs, 0), limits.waitMsMax);
  // Bounded: a watcher that cannot watch (too many partitions watched) returns at once.
  for (let round = 0; ; round++) {
    const bytes = await readAll(slots, maxBytes, ctx);
    const left = deadline - clock.now();
    const anyError = slots.some((s) => s.data.errorCode !== KAFKA.NONE);
    // An error is answered at once (the client must act on it); else wait for min_bytes.
    if (bytes >= req.minBytes || left <= 0 || anyError || ctx.signal.aborted || round >= MAX_WAIT_ROUNDS)
      return reply(KAFKA.NONE, [...slots]);
    await waitForData(slots, left, ctx);
  }
};
