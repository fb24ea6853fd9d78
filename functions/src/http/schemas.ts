/**
 * The wire schemas of records, produce and fetch (api.md). Each one validates requests, types the
 * handlers and generates the OpenAPI document: one source of truth. Topic schemas live in
 * topic-schemas.ts. Request objects are strict: a misspelt field (`valeu`) is a 400, never a record
 * silently stored without its value.
 */
import { z } from "@hono/zod-openapi";
import { ERROR_TABLE, type ErrorCode } from "../../../client/src/errors.js";
import { PRODUCER_ID_PATTERN, PRODUCER_ID_RULE } from "../engine/append-types.js";

// ---- scalars -----------------------------------------------------------------------------------

/** Kafka's topic name rules (engine/topic-config.ts applies the same ones). */
export const TopicName = z
  .string()
  .regex(/^[a-zA-Z0-9._-]{1,249}$/, "topic names are 1-249 characters of [a-zA-Z0-9._-]")
  .refine((name) => name !== "." && name !== "..", "a topic may not be named '.' or '..'");

/** A non-negative safe integer written in decimal digits (no sign, exponent, hex or spaces). */
export function decimalInteger(what: string) {
  return z
    .string()
    .regex(/^[0-9]{1,16}$/, `${what} must be a non-negative integer`)
    .transform(Number)
    .refine(Number.isSafeInteger, `${what} must be at most ${Number.MAX_SAFE_INTEGER}`)
    .openapi({ type: "integer", minimum: 0 });
}

const offset = z.number().int().min(0);
const timestampMs = z.number().int().min(0).openapi({ description: "milliseconds since the epoch" });

export const TopicParams = z.object({
  topic: TopicName.openapi({ param: { name: "topic", in: "path" }, example: "orders" }),
});

export const PartitionParams = TopicParams.extend({
  partition: decimalInteger("partition").openapi({ param: { name: "partition", in: "path" }, example: 0 }),
});

export const RECORD_FORMATS = ["utf8", "base64", "json"] as const;
export type RecordFormat = (typeof RECORD_FORMATS)[number];

export const FormatHeaders = z.object({
  "Floe-Format": z
    .enum(RECORD_FORMATS)
    .optional()
    .openapi({
      description:
        "Encoding of keys, values and header values in JSON bodies: utf8 (default), base64, or json " +
        "(values are any JSON value, stored as their UTF-8 JSON text; keys and header values stay utf8).",
    }),
});

// ---- records -----------------------------------------------------------------------------------

const RecordHeaderJson = z
  .strictObject({ name: z.string(), value: z.string().nullable() })
  .openapi("RecordHeader");

const recordValue = z.unknown().openapi({
  description:
    "A string (utf8 or base64 per Floe-Format) or null; with Floe-Format: json, any JSON value. null is a tombstone.",
});

export const ProduceRecord = z
  .strictObject({
    key: z.string().nullable().optional(),
    value: recordValue.optional(),
    headers: z.array(RecordHeaderJson).optional(),
    timestamp: timestampMs.optional().openapi({ description: "defaults to the server's clock" }),
    partition: z
      .number()
      .int()
      .min(0)
      .optional()
      .openapi({ description: "only on POST /v1/topics/{topic}/records" }),
  })
  .openapi("ProduceRecord");
export type ProduceRecord = z.output<typeof ProduceRecord>;

export const FetchedRecord = z
  .object({
    key: z.string().nullable(),
    value: recordValue,
    headers: z.array(RecordHeaderJson),
    timestamp: z.number().int(),
    offset,
  })
  .openapi("Record");
export type FetchedRecord = z.output<typeof FetchedRecord>;

// ---- produce -----------------------------------------------------------------------------------

export const ProduceRequest = z
  .strictObject({ records: z.array(ProduceRecord).min(1) })
  .openapi("ProduceRequest");

export const ProducerStampJson = z
  .strictObject({
    id: z
      .string()
      .regex(PRODUCER_ID_PATTERN, PRODUCER_ID_RULE)
      .openapi({ description: PRODUCER_ID_RULE, example: "orders-writer-1" }),
    epoch: z.number().int().min(0).max(0x7fff),
    sequence: z
      .number()
      .int()
      .min(0)
      .max(0x7fffffff)
      .openapi({ description: "sequence number of the first record" }),
  })
  .openapi("Producer");

export const PartitionProduceRequest = z
  .strictObject({
    records: z.array(ProduceRecord).min(1),
    match_offset: offset
      .optional()
      .openapi({ description: "append only if the partition's next offset equals this" }),
    producer: ProducerStampJson.optional(),
  })
  .openapi("PartitionProduceRequest");

export const PartitionProduceHeaders = FormatHeaders.extend({
  "Floe-Match-Offset": decimalInteger("Floe-Match-Offset")
    .optional()
    .openapi({ description: "match_offset for binary bodies (application/vnd.floe.batch)" }),
});

export const RecordResult = z
  .union([
    z.object({ partition: z.number().int(), offset, timestamp: z.number().int() }),
    z.object({ error_code: z.string(), message: z.string(), retriable: z.boolean() }),
  ])
  .openapi("RecordResult");

export const ProduceReply = z
  .object({ results: z.array(RecordResult), failed_record_count: z.number().int() })
  .openapi("ProduceReply");

export const PartitionProduceReply = z
  .object({
    partition: z.number().int(),
    base_offset: offset,
    last_offset: offset,
    timestamp: z.number().int().openapi({ description: "the largest record timestamp of the append" }),
  })
  .openapi("PartitionProduceReply");

// ---- fetch -------------------------------------------------------------------------------------

export const FetchQuery = z.object({
  offset: decimalInteger("offset").optional().openapi({ description: "first offset to read" }),
  timestamp: decimalInteger("timestamp")
    .optional()
    .openapi({ description: "read from the first record at or after this time (ms)" }),
  tail_offset: decimalInteger("tail_offset").optional().openapi({ description: "read the last K records" }),
  max_records: decimalInteger("max_records").optional().openapi({ minimum: 1 }),
  max_bytes: decimalInteger("max_bytes").optional().openapi({ minimum: 1 }),
  wait: z
    .string()
    .regex(/^[0-9]{1,6}(\.[0-9]{1,3})?$/, "wait must be a non-negative number of seconds")
    .transform(Number)
    .optional()
    .openapi({ type: "number", minimum: 0, description: "seconds to long-poll at the end of the log" }),
  clamp: z
    .enum(["true", "false"])
    .transform((v) => v === "true")
    .optional()
    .openapi({
      type: "boolean",
      description: "move an out-of-range start to the nearest bound instead of 416",
    }),
});

export const FetchHeaders = FormatHeaders.extend({
  "Last-Event-ID": decimalInteger("Last-Event-ID")
    .optional()
    .openapi({ description: "Server-Sent Events: resume at this offset (overrides the query's start)" }),
});

export const FetchReply = z
  .object({
    records: z.array(FetchedRecord),
    next_offset: offset,
    high_watermark: offset,
    log_start_offset: offset,
  })
  .openapi("FetchReply");
export type FetchReply = z.output<typeof FetchReply>;

export const TailReply = z
  .object({ high_watermark: offset, log_start_offset: offset, last_timestamp: z.number().int() })
  .openapi("TailReply");

// ---- errors ------------------------------------------------------------------------------------

const ERROR_CODES = Object.keys(ERROR_TABLE) as [ErrorCode, ...ErrorCode[]];

export const ErrorBody = z
  .looseObject({ error_code: z.enum(ERROR_CODES), message: z.string(), retriable: z.boolean() })
  .openapi("Error", {
    description: "Every error; code-specific fields (expected_offset, limit_bytes, ...) may be added.",
  });

/** The error replies a route documents, grouped by status, plus those every route may give. */
export function errorResponses(...codes: ErrorCode[]) {
  const all: ErrorCode[] = ["invalid_request", "unauthenticated", ...codes, "internal", "unavailable"];
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of all) {
    const status = ERROR_TABLE[code].status;
    const list = byStatus.get(status) ?? [];
    if (!list.includes(code)) list.push(code);
    byStatus.set(status, list);
  }
  const responses: Record<
    number,
    { description: string; content: { "application/json": { schema: typeof ErrorBody } } }
  > = {};
  for (const [status, list] of byStatus) {
    responses[status] = {
      description: list.join(" | "),
      content: { "application/json": { schema: ErrorBody } },
    };
  }
  return responses;
}
