/**
 * Turns a client's record batches into a `PartitionAppend`: every batch, and every record in it,
 * is validated (validate-batch.ts: lengths, CRC, codec, each record's fields, dense offsets)
 * before anything is written, so a corrupt or oversized batch is a 400/413 that changes nothing,
 * never a poisoned segment.
 */

import { FloeError } from "../../../client/src/errors.js";
import { FormatError, validateBatches } from "../../../client/src/format/index.js";
import type { PartitionAppend, ProducerStamp } from "./append-types.js";
import { addSequence } from "./commit-plan.js";
import type { TopicMeta } from "./model.js";

export interface PayloadOptions {
  producer?: ProducerStamp;
  matchOffset?: number;
}

/** Batch bytes beyond `max.message.bytes` that a batch may add: Kafka's batch header (61 bytes). */
const BATCH_OVERHEAD_BYTES = 61;

export function appendFromBatches(
  topic: TopicMeta,
  partition: number,
  payload: Uint8Array,
  options: PayloadOptions = {},
): PartitionAppend {
  let split: ReturnType<typeof validateBatches>;
  try {
    split = validateBatches(payload);
  } catch (error) {
    if (error instanceof FormatError)
      throw new FloeError("invalid_request", `invalid record batch: ${error.message}`);
    throw error;
  }
  if (split.length === 0) throw new FloeError("invalid_request", "the body holds no record batch");
  let recordCount = 0;
  let firstTimestamp = Number.POSITIVE_INFINITY;
  let maxTimestamp = -1;
  const limit = topic.config["max.message.bytes"];
  for (let i = 0; i < split.length; i++) {
    const { header, pos } = split[i]!;
    const size = (i + 1 < split.length ? split[i + 1]!.pos : payload.byteLength) - pos;
    if (size > limit + BATCH_OVERHEAD_BYTES) {
      throw new FloeError(
        "record_too_large",
        `a record batch of ${size} bytes exceeds max.message.bytes (${limit})`,
        { limit_bytes: limit },
      );
    }
    if (header.isControl || header.isTransactional) {
      throw new FloeError("invalid_request", "transactional and control batches are not supported");
    }
    if (header.recordCount < 1 || header.lastOffsetDelta !== header.recordCount - 1) {
      throw new FloeError(
        "invalid_request",
        "a produced batch must hold dense offsets (lastOffsetDelta = recordCount - 1)",
      );
    }
    recordCount += header.recordCount;
    firstTimestamp = Math.min(firstTimestamp, header.firstTimestamp);
    maxTimestamp = Math.max(maxTimestamp, header.maxTimestamp);
  }
  const stamp = options.producer ?? producerFromBatches(split.map((s) => s.header));
  return {
    topic,
    partition,
    payload,
    recordCount,
    batchCount: split.length,
    firstTimestamp,
    maxTimestamp,
    ...(stamp ? { producer: stamp } : {}),
    ...(options.matchOffset !== undefined ? { matchOffset: options.matchOffset } : {}),
  };
}

/**
 * A binary body may carry Kafka's own idempotence fields in its batch headers. Either no batch is
 * stamped (producerId < 0, Kafka's NO_PRODUCER_ID) or every batch is, by one producer and epoch
 * with consecutive sequences; anything else is refused. Honouring only the first batch's stamp
 * (or none, when the first batch is unstamped) would let a resent body write the stamped batches
 * again: their sequences would never be checked.
 */
function producerFromBatches(
  headers: { producerId: number; producerEpoch: number; baseSequence: number; recordCount: number }[],
): ProducerStamp | undefined {
  const first = headers[0]!;
  if (first.producerId < 0) {
    const stamped = headers.findIndex((h) => h.producerId >= 0);
    if (stamped >= 0) {
      throw new FloeError(
        "invalid_request",
        `record batch ${stamped} carries producer id ${headers[stamped]!.producerId} but batch 0 has none: all batches of one request must carry the same producer id and epoch, with consecutive sequences`,
        { batch: stamped },
      );
    }
    return undefined;
  }
  let expected = first.baseSequence;
  for (const [i, h] of headers.entries()) {
    if (
      h.producerId !== first.producerId ||
      h.producerEpoch !== first.producerEpoch ||
      h.baseSequence !== expected
    ) {
      throw new FloeError(
        "invalid_request",
        `record batch ${i}: all batches of one request must carry the same producer id and epoch, with consecutive sequences`,
        { batch: i },
      );
    }
    expected = addSequence(expected, h.recordCount); // sequences wrap at 2^31, as in Kafka
  }
  return { id: String(first.producerId), epoch: first.producerEpoch, firstSequence: first.baseSequence };
}
