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
import { concatBytes } from "../../../../client/src/format/bytes.js";
import type { PartitionHead, TopicMeta } from "../../engine/model.js";
import type { Message } from "../codec/codec.js";
import type { Handler, RequestContext } from "../context.js";
import { KAFKA, kafkaError } from "../errors.js";
import { mapLimit } from "../map-limit.js";

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

/** A slot's topic and head, or the error that stands for it (read concurrently, map-limit.ts). */
async function loadHead(slot: Slot, ctx: RequestContext): Promise<PartitionHead | Error> {
  const { log, headCacheMs } = ctx.deps;
  try {
    slot.meta ??= await log.requirePartition(slot.topic, slot.partition);
    return await log.head(slot.meta, slot.partition, headCacheMs);
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

function failSlot(slot: Slot, error: unknown, ctx: RequestContext): void {
  const e = kafkaError(error);
  if (e.code === KAFKA.UNKNOWN_SERVER_ERROR) ctx.deps.logError(error);
  slot.data = empty(slot.partition, e.code);
}

function outOfRange(slot: Slot, head: PartitionHead): void {
  slot.data = {
    ...empty(slot.partition, KAFKA.OFFSET_OUT_OF_RANGE),
    highWatermark: head.nextOffset,
    lastStableOffset: head.nextOffset,
    logStartOffset: head.logStartOffset,
  };
}

/**
 * Reads every served partition once, in request order, within the response's byte budget, as
 * Kafka does (KIP-74): each partition gets at most min(partition_max_bytes, what the response has
 * left); only the first partition that returns data may exceed that, by its first batch, so a
 * consumer never stalls on a batch larger than its limits. Heads are read `readConcurrency` at a
 * time; the records then in order, since each partition's budget depends on the ones before it.
 */
async function readAll(slots: Slot[], maxBytes: number, ctx: RequestContext): Promise<number> {
  const { log, limits, requestLimits } = ctx.deps;
  const heads = await mapLimit(slots, requestLimits.readConcurrency, (slot) => loadHead(slot, ctx));
  let total = 0;
  for (const [i, slot] of slots.entries()) {
    let head = heads[i]!;
    if (head instanceof Error) {
      failSlot(slot, head, ctx);
      continue;
    }
    try {
      if (slot.offset > head.nextOffset && slot.meta) {
        // The head may come from the cache (FLOE_HEAD_CACHE_MS): a consumer that saw a newer high
        // watermark elsewhere (another agent, HTTP) must not be told its offset is out of range
        // and reset. Only a fresh head decides.
        head = await log.head(slot.meta, slot.partition, 0);
      }
      if (slot.offset < head.logStartOffset || slot.offset > head.nextOffset) {
        outOfRange(slot, head);
        continue;
      }
      const budget = Math.min(slot.maxBytes, maxBytes - total);
      const tail = {
        ...empty(slot.partition, KAFKA.NONE),
        highWatermark: head.nextOffset,
        lastStableOffset: head.nextOffset,
        logStartOffset: head.logStartOffset,
      };
      if (budget <= 0 && total > 0) {
        // The response is full: report where the partition stands, without its records.
        slot.data = tail;
        continue;
      }
      const result = await log.reader.read(head, slot.offset, {
        maxBytes: Math.max(1, budget),
        maxRecords: limits.fetchRecordsMax,
      });
      // The reader always returns a first batch; only the first partition with data may keep
      // one larger than its budget.
      const bytes: Uint8Array[] = [];
      let size = 0;
      for (const batch of result.batches) {
        const fits = size + batch.bytes.byteLength <= budget;
        if (!fits && (total > 0 || bytes.length > 0)) break;
        bytes.push(batch.bytes);
        size += batch.bytes.byteLength;
      }
      total += size;
      slot.data = { ...tail, records: size > 0 ? concatBytes(bytes) : EMPTY };
    } catch (error) {
      failSlot(slot, error, ctx);
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
  const { clock, limits, requestLimits } = ctx.deps;
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
  const all: Slot[] = req.topics.flatMap((t) =>
    t.partitions.map((p) => ({
      topic: t.topic,
      partition: p.partition,
      offset: p.fetchOffset,
      maxBytes: Math.min(Math.max(p.partitionMaxBytes, 1), limits.fetchBytesMax),
      data: empty(p.partition, KAFKA.NONE),
    })),
  );
  // Past the partition cap: INVALID_REQUEST, never read (docs/kafka.md § Limits).
  const slots = all.slice(0, requestLimits.partitionsMax);
  for (const s of all.slice(requestLimits.partitionsMax)) s.data = empty(s.partition, KAFKA.INVALID_REQUEST);
  const deadline = clock.now() + Math.min(Math.max(req.maxWaitMs, 0), limits.waitMsMax);
  // Bounded: a watcher that cannot watch (too many partitions watched) returns at once.
  for (let round = 0; ; round++) {
    const bytes = await readAll(slots, maxBytes, ctx);
    const left = deadline - clock.now();
    const anyError = slots.some((s) => s.data.errorCode !== KAFKA.NONE);
    // An error is answered at once (the client must act on it); else wait for min_bytes.
    if (bytes >= req.minBytes || left <= 0 || anyError || ctx.signal.aborted || round >= MAX_WAIT_ROUNDS)
      return reply(KAFKA.NONE, [...all]);
    await waitForData(slots, left, ctx);
  }
};
