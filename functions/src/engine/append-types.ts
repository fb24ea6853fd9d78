import type { FloeError } from "../../../client/src/errors.js";
import type { TopicMeta } from "./model.js";

/**
 * Producer ids are 1-64 characters of [A-Za-z0-9._-], starting with a letter or digit (a binary
 * body's int64 id is its decimal string, which always qualifies). Bounded, because every id is
 * stored in the partition head on every commit; a leading letter or digit keeps names such as
 * `__proto__` out, although the engine keys producers by a Map and would handle them.
 */
export const PRODUCER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const PRODUCER_ID_CHARS_MAX = 64;
/** The rule in words, for error messages and the OpenAPI document. */
export const PRODUCER_ID_RULE = `producer ids are 1-${PRODUCER_ID_CHARS_MAX} characters of [A-Za-z0-9._-], starting with a letter or digit`;

export function isValidProducerId(id: string): boolean {
  return PRODUCER_ID_PATTERN.test(id);
}

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
  /** What an appender that holds appends (the container agent's batcher) has accepted and holds. */
  readonly held?: { acceptedAppends: number; unacknowledgedBytes: number };
}
