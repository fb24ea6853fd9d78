/**
 * ListOffsets: EARLIEST (-2) is the log start offset, LATEST (-1) the high watermark,
 * MAX_TIMESTAMP (-3) the first record with the largest timestamp, and a timestamp ≥ 0 the first
 * offset whose record timestamp is at or after it (offset -1 when there is none, as in Kafka).
 * With no transactions, read_committed and read_uncommitted see the same end. Past the
 * request's partition cap (RequestLimits) a partition is answered INVALID_REQUEST.
 */
import { decodeRecordBatches } from "../../../../client/src/format/index.js";
import type { FloeLog } from "../../engine/log.js";
import type { PartitionHead } from "../../engine/model.js";
import type { Handler } from "../context.js";
import { KAFKA, kafkaError } from "../errors.js";
import { mapLimit } from "../map-limit.js";

export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;
export const MAX_TIMESTAMP = -3;
/** v8+: the first offset held locally; with S3 as the only storage that is the log start. */
export const EARLIEST_LOCAL_TIMESTAMP = -4;
/** v9+: the last offset in tiered storage; Kafka answers -1 for a topic without tiering, as here. */
export const LATEST_TIERED_TIMESTAMP = -5;

interface ListOffsetsRequest {
  topics: { name: string; partitions: { partitionIndex: number; timestamp: number }[] }[];
}

interface OffsetAnswer {
  offset: number;
  timestamp: number;
}

/** The timestamp of the record at `offset` (a batch's records carry their own). */
async function timestampAt(log: FloeLog, head: PartitionHead, offset: number): Promise<number> {
  const read = await log.reader.read(head, offset, { maxBytes: 1, maxRecords: 1 });
  for (const batch of read.batches)
    for (const decoded of decodeRecordBatches(batch.bytes))
      for (const record of decoded.records) if (record.offset === offset) return record.timestamp;
  return -1;
}

async function answer(log: FloeLog, head: PartitionHead, timestamp: number): Promise<OffsetAnswer> {
  if (timestamp === LATEST_TIMESTAMP) return { offset: head.nextOffset, timestamp: -1 };
  if (timestamp === EARLIEST_TIMESTAMP || timestamp === EARLIEST_LOCAL_TIMESTAMP)
    return { offset: head.logStartOffset, timestamp: -1 };
  if (timestamp === LATEST_TIERED_TIMESTAMP) return { offset: -1, timestamp: -1 };
  if (timestamp === MAX_TIMESTAMP)
    return (await log.offsetOfMaxTimestamp(head)) ?? { offset: -1, timestamp: -1 };
  const offset = await log.offsetForTimestamp(head, timestamp);
  if (offset >= head.nextOffset) return { offset: -1, timestamp: -1 };
  return { offset, timestamp: await timestampAt(log, head, offset) };
}

export const handleListOffsets: Handler = async (message, ctx) => {
  const req = message as unknown as ListOffsetsRequest;
  const { log, requestLimits } = ctx.deps;
  const flat = req.topics.flatMap((topic) => topic.partitions.map((p) => ({ topic: topic.name, p })));
  const failed = (partitionIndex: number, errorCode: number) => ({
    partitionIndex,
    errorCode,
    timestamp: -1,
    offset: -1,
  });
  // Bounded: at most partitionsMax served, readConcurrency head reads at once (map-limit.ts).
  const answers = await mapLimit(flat, requestLimits.readConcurrency, async ({ topic, p }, i) => {
    if (i >= requestLimits.partitionsMax || p.timestamp < LATEST_TIERED_TIMESTAMP)
      return failed(p.partitionIndex, KAFKA.INVALID_REQUEST);
    try {
      const meta = await log.requirePartition(topic, p.partitionIndex);
      const head = await log.head(meta, p.partitionIndex);
      const found = await answer(log, head, p.timestamp);
      return { partitionIndex: p.partitionIndex, errorCode: KAFKA.NONE, leaderEpoch: 0, ...found };
    } catch (error) {
      const e = kafkaError(error);
      if (e.code === KAFKA.UNKNOWN_SERVER_ERROR) ctx.deps.logError(error);
      return failed(p.partitionIndex, e.code);
    }
  });
  let at = 0;
  const topics = req.topics.map((topic) => ({
    name: topic.name,
    partitions: topic.partitions.map(() => answers[at++]!),
  }));
  return { throttleTimeMs: 0, topics };
};
