import type { FloeError } from "../../../client/src/errors.js";
import type { TopicMeta } from "./model.js";

/** Kafka idempotent-producer identity of an append: id (string here), epoch, first sequence. */
export interface ProducerStamp {
  id: string;
  epoch: number;
  firstSequence: number;
}

/**
 * One atomic append to one partition: one produce request's share for that partition. Its
 * payload is one or more whole, validated RecordBatch v2 (baseOffset 0: offsets are assigned at
 * commit time, after the object is written).
 */
export interface PartitionAppend {
  topic: TopicMeta;
  partition: number;
  payload: Uint8Array;
  recordCount: number;
  batchCount: number;
  firstTimestamp: number;
  maxTimestamp: number;
  producer?: ProducerStamp;
  /** Append only if the partition's next offset equals this (S2's match_seq_num, api.md). */
  matchOffset?: number;
}

export type AppendOutcome =
  | { ok: true; baseOffset: number; lastOffset: number; duplicate: boolean }
  | { ok: false; error: FloeError };

/**
 * Whatever accepts appends: the engine itself (one object per call: Lambda) or the agent's
 * batcher (many requests per object: containers). Outcomes come back in input order.
 */
export interface Appender {
  append(appends: PartitionAppend[]): Promise<AppendOutcome[]>;
}
