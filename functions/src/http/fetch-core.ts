/**
 * The read side shared by the JSON, binary and Server-Sent Events fetches: turning the query into
 * a read plan (every limit checked up front), and a `ReadResult` (whole batches) into a reply.
 */
import { invalidRequest } from "../../../client/src/errors.js";
import { decodeRecordBatches } from "../../../client/src/format/index.js";
import type { ServerLimits } from "../config.js";
import type { FetchOptions, FetchStart } from "../engine/log.js";
import type { ReadResult } from "../engine/reader.js";
import { BATCH_MEDIA_TYPE } from "./body.js";
import { recordToJson } from "./record-json.js";
import type { FetchedRecord, FetchReply, RecordFormat } from "./schemas.js";

export interface FetchQueryInput {
  offset?: number | undefined;
  timestamp?: number | undefined;
  tail_offset?: number | undefined;
  max_records?: number | undefined;
  max_bytes?: number | undefined;
  wait?: number | undefined;
  clamp?: boolean | undefined;
}

export interface FetchPlan {
  start: FetchStart;
  options: FetchOptions;
  waitMs: number;
  format: RecordFormat;
}

/**
 * Where to start, when no selector is given: the log start offset (the oldest retained record),
 * like `kafka-console-consumer --from-beginning`. `tailOffset: MAX_SAFE_INTEGER` is exactly that:
 * the engine starts at max(log start, high watermark - K).
 */
const EARLIEST: FetchStart = { tailOffset: Number.MAX_SAFE_INTEGER };

/** A query parameter past its ceiling is a 400 stating the limit (413 is for bodies: see docs/api-decisions.md). */
function overLimit(field: string, limit: number, unit: "bytes" | "records" | "seconds"): never {
  throw invalidRequest(`${field} may be at most ${limit} ${unit}`, { field, [`limit_${unit}`]: limit });
}

/** Validates the query against the server's limits; `resumeAt` (Last-Event-ID) overrides the start. */
export function planFetch(
  query: FetchQueryInput,
  limits: ServerLimits,
  format: RecordFormat,
  resumeAt?: number,
): FetchPlan {
  const selectors = [query.offset, query.timestamp, query.tail_offset].filter((s) => s !== undefined).length;
  if (selectors > 1)
    throw invalidRequest("give at most one of offset, timestamp and tail_offset", { field: "offset" });
  let start: FetchStart = EARLIEST;
  if (resumeAt !== undefined) start = { offset: resumeAt };
  else if (query.offset !== undefined) start = { offset: query.offset };
  else if (query.timestamp !== undefined) start = { timestamp: query.timestamp };
  else if (query.tail_offset !== undefined) start = { tailOffset: query.tail_offset };

  // Defaults never exceed the ceilings (a deployment may lower FLOE_FETCH_BYTES_MAX below 1 MiB).
  const maxBytes = query.max_bytes ?? Math.min(limits.fetchBytesDefault, limits.fetchBytesMax);
  if (maxBytes > limits.fetchBytesMax) overLimit("max_bytes", limits.fetchBytesMax, "bytes");
  const maxRecords = query.max_records ?? Math.min(limits.fetchRecordsDefault, limits.fetchRecordsMax);
  if (maxRecords > limits.fetchRecordsMax) overLimit("max_records", limits.fetchRecordsMax, "records");
  if (maxBytes < 1 || maxRecords < 1)
    throw invalidRequest("max_bytes and max_records must be at least 1", {
      field: maxBytes < 1 ? "max_bytes" : "max_records",
    });
  const waitMs = Math.round((query.wait ?? 0) * 1000);
  if (waitMs > limits.waitMsMax) overLimit("wait", limits.waitMsMax / 1000, "seconds");
  return { start, options: { maxBytes, maxRecords, clamp: query.clamp ?? false }, waitMs, format };
}

/**
 * The records of a read as the JSON reply shows them. A `ReadResult` holds whole batches, so the
 * records before the requested start are dropped here, and the list is cut at `maxRecords`
 * (next_offset then points just past the last record returned).
 */
export function jsonReply(result: ReadResult, start: FetchStart, plan: FetchPlan): FetchReply {
  let minOffset = result.logStartOffset;
  if ("offset" in start) minOffset = Math.max(minOffset, start.offset);
  else if ("tailOffset" in start) minOffset = Math.max(minOffset, result.highWatermark - start.tailOffset);
  // By timestamp the read starts at the first record at or after the time, inside some batch:
  // the records before it in that batch are the leading ones older than the time.
  let skipOlderThan = "timestamp" in start ? start.timestamp : undefined;
  const records: FetchedRecord[] = [];
  let nextOffset = result.nextOffset;
  outer: for (const batch of result.batches) {
    // The reader walks batch boundaries but leaves CRCs to whoever decodes: here, the server.
    for (const decoded of decodeRecordBatches(batch.bytes)) {
      if (decoded.header.isControl) continue;
      for (const record of decoded.records) {
        if (record.offset < minOffset) continue;
        if (skipOlderThan !== undefined) {
          if (record.timestamp < skipOlderThan) continue;
          skipOlderThan = undefined;
        }
        if (records.length === plan.options.maxRecords) {
          nextOffset = records.at(-1)!.offset + 1;
          break outer;
        }
        records.push(recordToJson(record, plan.format));
      }
    }
  }
  return {
    records,
    next_offset: nextOffset,
    high_watermark: result.highWatermark,
    log_start_offset: result.logStartOffset,
  };
}

/**
 * The binary reply: the stored batches with their offsets patched in, concatenated, as any Kafka
 * decoder reads them. Whole batches: a client skips the records before the offset it asked for,
 * as Kafka consumers do.
 */
export function binaryResponse(result: ReadResult): Response {
  const total = result.batches.reduce((n, b) => n + b.bytes.byteLength, 0);
  let body: Uint8Array<ArrayBuffer>;
  // The reader copies each batch out of its range (slice), so it never sits on a SharedArrayBuffer.
  if (result.batches.length === 1) body = result.batches[0]!.bytes as Uint8Array<ArrayBuffer>;
  else {
    body = new Uint8Array(total);
    let at = 0;
    for (const b of result.batches) {
      body.set(b.bytes, at);
      at += b.bytes.byteLength;
    }
  }
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": BATCH_MEDIA_TYPE,
      "Floe-Start-Offset": String(result.startOffset),
      "Floe-Next-Offset": String(result.nextOffset),
      "Floe-High-Watermark": String(result.highWatermark),
      "Floe-Log-Start-Offset": String(result.logStartOffset),
    },
  });
}

export type Representation = "json" | "batch" | "sse";

/** What the client asked for with Accept; JSON unless it names the stream or the binary format. */
export function representationOf(accept: string | undefined): Representation {
  if (!accept) return "json";
  const types = accept.split(",").map((part) => part.split(";", 1)[0]!.trim().toLowerCase());
  if (types.includes("text/event-stream")) return "sse";
  if (types.includes(BATCH_MEDIA_TYPE)) return "batch";
  return "json";
}
