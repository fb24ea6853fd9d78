/**
 * One read of one partition (api.md § Fetch), over the binary or the JSON representation.
 *
 * The binary reply holds whole batches, as stored: the records before the requested offset (or,
 * when starting by time, older than the time) and control batches are dropped here, as a Kafka
 * consumer drops them.
 */
import { decodeRecordBatches } from "../format/index.js";
import { BATCH_MEDIA_TYPE } from "./produce-request.js";
import { type ConsumerRecord, fromDecoded, fromJsonRecords } from "./records.js";
import { pathOf, type Transport } from "./transport.js";
import { headerInt, int, obj } from "./wire.js";

export type FetchTransport = "binary" | "json";

/** Where a read starts: an offset, the first record at or after a time, or K records before the end. */
export type FetchStart = { offset: number } | { timestamp: number } | { tailOffset: number };

export interface FetchRequest {
  topic: string;
  partition: number;
  start: FetchStart;
  maxBytes?: number | undefined;
  maxRecords?: number | undefined;
  /** Long-poll this many seconds at the end of the log. */
  waitSeconds?: number | undefined;
  /** Move a start outside the log to its nearest bound instead of failing with 416. */
  clamp?: boolean | undefined;
  transport: FetchTransport;
  signal?: AbortSignal | undefined;
}

export interface FetchResult {
  records: ConsumerRecord[];
  nextOffset: number;
  highWatermark: number;
  logStartOffset: number;
}

/** The query parameters of a read (shared with the SSE stream). */
export function fetchQuery(r: Omit<FetchRequest, "transport" | "topic" | "partition">) {
  return {
    ...("offset" in r.start ? { offset: r.start.offset } : {}),
    ...("timestamp" in r.start ? { timestamp: r.start.timestamp } : {}),
    ...("tailOffset" in r.start ? { tail_offset: r.start.tailOffset } : {}),
    max_bytes: r.maxBytes,
    max_records: r.maxRecords,
    wait: r.waitSeconds && r.waitSeconds > 0 ? r.waitSeconds : undefined,
    clamp: r.clamp ? true : undefined,
  };
}

/**
 * Reads one partition once.
 *
 * @example
 * const { records, nextOffset } = await fetchPartition(transport, {
 *   topic: "orders", partition: 0, start: { offset: 0 }, transport: "binary", waitSeconds: 5 });
 */
export async function fetchPartition(transport: Transport, r: FetchRequest): Promise<FetchResult> {
  const path = pathOf("v1", "topics", r.topic, "partitions", r.partition, "records");
  const extraTimeoutMs = (r.waitSeconds ?? 0) * 1000;
  if (r.transport === "json") {
    const o = obj(
      await transport.json({
        method: "GET",
        path,
        query: fetchQuery(r),
        headers: { "Floe-Format": "base64" },
        extraTimeoutMs,
        signal: r.signal,
      }),
      "fetch reply",
    );
    return {
      records: fromJsonRecords(r.topic, r.partition, o.records),
      nextOffset: int(o, "next_offset"),
      highWatermark: int(o, "high_watermark"),
      logStartOffset: int(o, "log_start_offset"),
    };
  }
  const response = await transport.request({
    method: "GET",
    path,
    query: fetchQuery(r),
    accept: BATCH_MEDIA_TYPE,
    extraTimeoutMs,
    signal: r.signal,
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  const highWatermark = headerInt(response.headers, "floe-high-watermark");
  const logStartOffset = headerInt(response.headers, "floe-log-start-offset");
  let nextOffset = headerInt(response.headers, "floe-next-offset");
  let minOffset = logStartOffset;
  if ("offset" in r.start) minOffset = Math.max(minOffset, r.start.offset);
  else if ("tailOffset" in r.start) minOffset = Math.max(minOffset, highWatermark - r.start.tailOffset);
  let olderThan = "timestamp" in r.start ? r.start.timestamp : undefined;
  const records: ConsumerRecord[] = [];
  const maxRecords = r.maxRecords ?? Number.POSITIVE_INFINITY;
  outer: for (const batch of decodeRecordBatches(bytes)) {
    if (batch.header.isControl) continue;
    for (const record of batch.records) {
      if (record.offset < minOffset) continue;
      if (olderThan !== undefined) {
        if (record.timestamp < olderThan) continue;
        olderThan = undefined;
      }
      if (records.length >= maxRecords) {
        nextOffset = records.at(-1)!.offset + 1;
        break outer;
      }
      records.push(fromDecoded(r.topic, r.partition, record));
    }
  }
  return { records, nextOffset, highWatermark, logStartOffset };
}
