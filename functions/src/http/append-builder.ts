/**
 * Turns one partition's share of a JSON produce request into one `PartitionAppend`: the records
 * encoded as RecordBatch v2, split so that no batch exceeds the topic's `max.message.bytes`, and
 * LZ4-compressed when a batch is big enough for compression to pay (JSON producers cannot
 * compress themselves; binary producers do their own).
 */

import { FloeError } from "../../../client/src/errors.js";
import { concatBytes } from "../../../client/src/format/bytes.js";
import { encodeRecordBatch, type RecordInput } from "../../../client/src/format/index.js";
import type { PartitionAppend, ProducerStamp } from "../engine/append-types.js";
import type { TopicMeta } from "../engine/model.js";
import { recordBytes } from "./record-json.js";

/** Batches with more record bytes than this are LZ4-compressed (~1 KiB: below it the frame costs more than it saves). */
export const COMPRESS_ABOVE_BYTES = 1024;

export interface AppendOptions {
  producer?: ProducerStamp;
  matchOffset?: number;
}

/** Checks every record against the topic's `max.message.bytes` (413 `record_too_large`). */
export function checkRecordSizes(topic: TopicMeta, records: readonly RecordInput[]): number[] {
  const limit = topic.config["max.message.bytes"];
  return records.map((record, i) => {
    const size = recordBytes(record);
    if (size > limit) {
      throw new FloeError(
        "record_too_large",
        `record ${i} has ${size} bytes; the topic's max.message.bytes is ${limit}`,
        {
          limit_bytes: limit,
          index: i,
        },
      );
    }
    return size;
  });
}

/**
 * Encodes the records (already size-checked: `sizes[i]` is record i's size) as one append. The
 * payload is built from trusted bytes we just encoded, so it skips the validation a client's
 * binary body gets (engine/batch-validation.ts).
 */
export function appendFromRecords(
  topic: TopicMeta,
  partition: number,
  records: RecordInput[],
  sizes: readonly number[],
  options: AppendOptions = {},
): PartitionAppend {
  const limit = topic.config["max.message.bytes"];
  const batches: Uint8Array[] = [];
  let start = 0;
  while (start < records.length) {
    let end = start;
    let bytes = 0;
    while (end < records.length && (end === start || bytes + sizes[end]! <= limit)) bytes += sizes[end++]!;
    batches.push(
      encodeRecordBatch({
        records: records.slice(start, end),
        compression: bytes > COMPRESS_ABOVE_BYTES ? "lz4" : "none",
      }),
    );
    start = end;
  }
  let firstTimestamp = Number.POSITIVE_INFINITY;
  let maxTimestamp = -1;
  for (const r of records) {
    if (r.timestamp < firstTimestamp) firstTimestamp = r.timestamp;
    if (r.timestamp > maxTimestamp) maxTimestamp = r.timestamp;
  }
  return {
    topic,
    partition,
    payload: concatBytes(batches),
    recordCount: records.length,
    batchCount: batches.length,
    firstTimestamp,
    maxTimestamp,
    ...(options.producer ? { producer: options.producer } : {}),
    ...(options.matchOffset !== undefined ? { matchOffset: options.matchOffset } : {}),
  };
}
