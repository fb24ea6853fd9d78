/**
 * One append to one partition, over either transport (api.md § Produce, single partition):
 *
 *   binary: POST .../partitions/{p}/records  Content-Type: application/vnd.floe.batch
 *           body = one RecordBatch v2 whose header carries producerId/producerEpoch/baseSequence
 *   json:   POST .../partitions/{p}/records  Floe-Format: base64
 *           body = { records: [...], producer: { id, epoch, sequence } }
 *
 * Either way the reply is `{ partition, base_offset, last_offset, timestamp }` and a retried
 * duplicate is acknowledged with the offsets of its first write.
 */
import { type Compression, encodeRecordBatch, type RecordInput } from "../format/index.js";
import { toJsonRecord } from "./records.js";
import { pathOf, type Transport } from "./transport.js";
import { int, obj } from "./wire.js";

export const BATCH_MEDIA_TYPE = "application/vnd.floe.batch";

export type ProduceTransport = "binary" | "json";

/** Kafka idempotent-producer fields of one batch. */
export interface ProducerStamp {
  producerId: number;
  epoch: number;
  baseSequence: number;
}

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
}

export interface AppendRequest {
  topic: string;
  partition: number;
  records: RecordInput[];
  stamp?: ProducerStamp | undefined;
  compression: Compression;
  transport: ProduceTransport;
  /** Append only if the partition's next offset is this (else 412 `offset_mismatch`). */
  matchOffset?: number | undefined;
  /** Pre-encoded bytes of this exact stamp, reused across retries so a retry is byte-identical. */
  encoded?: Uint8Array | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Encodes the batch bytes for the binary transport.
 *
 * @example
 * const bytes = encodeAppend({ topic: "t", partition: 0, records, compression: "none", transport: "binary" });
 */
export function encodeAppend(request: AppendRequest): Uint8Array {
  return encodeRecordBatch({
    records: request.records,
    compression: request.compression,
    ...(request.stamp
      ? {
          producerId: request.stamp.producerId,
          producerEpoch: request.stamp.epoch,
          baseSequence: request.stamp.baseSequence,
        }
      : {}),
  });
}

/**
 * Sends one append and returns the offsets it was given. Throws `FloeError` on failure.
 *
 * @example
 * const { baseOffset } = await appendToPartition(transport, { topic: "t", partition: 0, records,
 *   compression: "none", transport: "binary" });
 */
export async function appendToPartition(transport: Transport, request: AppendRequest): Promise<AppendResult> {
  const path = pathOf("v1", "topics", request.topic, "partitions", request.partition, "records");
  let reply: unknown;
  if (request.transport === "binary") {
    reply = await transport.json({
      method: "POST",
      path,
      body: request.encoded ?? encodeAppend(request),
      contentType: BATCH_MEDIA_TYPE,
      ...(request.matchOffset !== undefined
        ? { headers: { "Floe-Match-Offset": String(request.matchOffset) } }
        : {}),
      signal: request.signal,
    });
  } else {
    const body: Record<string, unknown> = { records: request.records.map(toJsonRecord) };
    if (request.matchOffset !== undefined) body.match_offset = request.matchOffset;
    if (request.stamp) {
      body.producer = {
        id: String(request.stamp.producerId),
        epoch: request.stamp.epoch,
        sequence: request.stamp.baseSequence,
      };
    }
    reply = await transport.json({
      method: "POST",
      path,
      json: body,
      headers: { "Floe-Format": "base64" },
      signal: request.signal,
    });
  }
  const o = obj(reply, "produce reply");
  return { baseOffset: int(o, "base_offset"), lastOffset: int(o, "last_offset") };
}
