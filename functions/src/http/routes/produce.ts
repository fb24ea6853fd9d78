/**
 * Produce (api.md § Produce). Everything a request can get wrong is checked before the appender is
 * called, so a 4xx never changes the log; a request's partitions go to the appender in ONE call, so
 * they land in one segment object (one S3 PUT), each partition's share committed atomically.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { FloeError, invalidRequest } from "../../../../client/src/errors.js";
import { partitionForKey, type RecordInput } from "../../../../client/src/format/index.js";
import type { ServerLimits } from "../../config.js";
import type { AppendOutcome, PartitionAppend } from "../../engine/append-types.js";
import { appendFromBatches } from "../../engine/batch-validation.js";
import { appendFromRecords, checkRecordSizes } from "../append-builder.js";
import {
  BATCH_MEDIA_TYPE,
  JSON_MEDIA_TYPE,
  parseJson,
  readBodyBytes,
  readJsonBody,
  requireMediaType,
} from "../body.js";
import type { AppDeps } from "../deps.js";
import { recordFromJson } from "../record-json.js";
import {
  errorResponses,
  FormatHeaders,
  PartitionParams,
  PartitionProduceHeaders,
  PartitionProduceReply,
  PartitionProduceRequest,
  type ProduceRecord,
  ProduceReply,
  ProduceRequest,
  TopicParams,
} from "../schemas.js";

const jsonBody = (refId: string) => ({ $ref: `#/components/schemas/${refId}` });

const produceRoute = createRoute({
  method: "post",
  path: "/v1/topics/{topic}/records",
  summary: "Produce records to any partitions of a topic",
  description:
    "Partition: the record's own, else murmur2 of the key (Kafka's default partitioner), else one partition " +
    "chosen at random for all keyless records of the request. Each partition's share is committed atomically.",
  request: {
    params: TopicParams,
    headers: FormatHeaders,
    body: { required: true, content: { [JSON_MEDIA_TYPE]: { schema: jsonBody("ProduceRequest") } } },
  },
  responses: {
    200: {
      description: "every record was appended",
      content: { [JSON_MEDIA_TYPE]: { schema: ProduceReply } },
    },
    207: {
      description: "some records failed (see each result)",
      content: { [JSON_MEDIA_TYPE]: { schema: ProduceReply } },
    },
    ...errorResponses(
      "topic_not_found",
      "partition_not_found",
      "record_too_large",
      "request_too_large",
      "unsupported_media_type",
    ),
  },
});

const partitionProduceRoute = createRoute({
  method: "post",
  path: "/v1/topics/{topic}/partitions/{partition}/records",
  summary: "Append records to one partition atomically",
  request: {
    params: PartitionParams,
    headers: PartitionProduceHeaders,
    body: {
      required: true,
      content: {
        [JSON_MEDIA_TYPE]: { schema: jsonBody("PartitionProduceRequest") },
        [BATCH_MEDIA_TYPE]: {
          schema: {
            type: "string",
            format: "binary",
            description: "one or more Kafka RecordBatch v2, concatenated",
          },
        },
      },
    },
  },
  responses: {
    200: {
      description: "appended (or acknowledged again: an idempotent duplicate)",
      content: { [JSON_MEDIA_TYPE]: { schema: PartitionProduceReply } },
    },
    ...errorResponses(
      "topic_not_found",
      "partition_not_found",
      "out_of_order_sequence",
      "offset_mismatch",
      "producer_fenced",
      "producer_limit",
      "record_too_large",
      "request_too_large",
      "unsupported_media_type",
    ),
  },
});

function checkRecordCount(count: number, limits: ServerLimits): void {
  if (count > limits.requestRecordsMax) {
    throw new FloeError(
      "request_too_large",
      `a produce request holds at most ${limits.requestRecordsMax} records, not ${count}`,
      {
        limit_records: limits.requestRecordsMax,
      },
    );
  }
}

async function appendAll(deps: AppDeps, appends: PartitionAppend[]): Promise<AppendOutcome[]> {
  const outcomes = await deps.appender.append(appends);
  if (outcomes.length !== appends.length) {
    throw new FloeError(
      "internal",
      `the appender returned ${outcomes.length} outcomes for ${appends.length} appends`,
    );
  }
  return outcomes;
}

export function registerProduceRoutes(app: OpenAPIHono, deps: AppDeps): void {
  app.openAPIRegistry.register("ProduceRequest", ProduceRequest);
  app.openAPIRegistry.register("PartitionProduceRequest", PartitionProduceRequest);
  const random = deps.random ?? Math.random;

  app.openapi(produceRoute, async (c) => {
    const { topic: name } = c.req.valid("param");
    const format = c.req.valid("header")["Floe-Format"] ?? "utf8";
    const body = await readJsonBody(c.req.raw, deps.limits.requestBytesMax, ProduceRequest);
    checkRecordCount(body.records.length, deps.limits);
    let topic = await deps.log.topics.require(name);
    const highest = Math.max(-1, ...body.records.map((r) => r.partition ?? -1));
    // A cached topic may predate a partition another agent just added: requirePartition looks again.
    if (highest >= topic.partitions) topic = await deps.log.requirePartition(name, highest);

    const now = deps.clock.now();
    const inputs = body.records.map((r, i) => recordFromJson(r, format, i, now));
    const sizes = checkRecordSizes(topic, inputs);
    const shares = partitionShares(body.records, inputs, topic.partitions, random);
    const partitions = [...shares.keys()];
    const appends = partitions.map((p) => {
      const indices = shares.get(p)!;
      return appendFromRecords(
        topic,
        p,
        indices.map((i) => inputs[i]!),
        indices.map((i) => sizes[i]!),
      );
    });
    const outcomes = await appendAll(deps, appends);

    const results: ProduceReplyResult[] = new Array(inputs.length);
    let failed = 0;
    for (const [s, partition] of partitions.entries()) {
      const outcome = outcomes[s]!;
      for (const [k, index] of shares.get(partition)!.entries()) {
        if (outcome.ok) {
          results[index] = { partition, offset: outcome.baseOffset + k, timestamp: inputs[index]!.timestamp };
        } else {
          results[index] = outcome.error.toJSON();
          failed++;
        }
      }
    }
    const reply = { results, failed_record_count: failed };
    return failed > 0 ? c.json(reply, 207) : c.json(reply, 200);
  });

  app.openapi(partitionProduceRoute, async (c) => {
    const { topic: name, partition } = c.req.valid("param");
    const headers = c.req.valid("header");
    const type = requireMediaType(c.req.raw, [JSON_MEDIA_TYPE, BATCH_MEDIA_TYPE]);
    const topic = await deps.log.requirePartition(name, partition);
    const bytes = await readBodyBytes(c.req.raw, deps.limits.requestBytesMax);
    let append: PartitionAppend;
    if (type === BATCH_MEDIA_TYPE) {
      // The body is stored as is (no copy): appendFromBatches checks lengths, CRCs and sizes first.
      const matchOffset = headers["Floe-Match-Offset"];
      append = appendFromBatches(topic, partition, bytes, matchOffset !== undefined ? { matchOffset } : {});
      checkRecordCount(append.recordCount, deps.limits);
    } else {
      const body = parseJson(bytes, PartitionProduceRequest);
      checkRecordCount(body.records.length, deps.limits);
      const misplaced = body.records.findIndex((r) => r.partition !== undefined && r.partition !== partition);
      if (misplaced >= 0) {
        throw invalidRequest(
          `records[${misplaced}].partition differs from the partition in the path (${partition})`,
          {
            field: `records[${misplaced}].partition`,
          },
        );
      }
      const format = headers["Floe-Format"] ?? "utf8";
      const now = deps.clock.now();
      const inputs = body.records.map((r, i) => recordFromJson(r, format, i, now));
      const matchOffset = body.match_offset ?? headers["Floe-Match-Offset"];
      append = appendFromRecords(topic, partition, inputs, checkRecordSizes(topic, inputs), {
        ...(body.producer
          ? {
              producer: {
                id: body.producer.id,
                epoch: body.producer.epoch,
                firstSequence: body.producer.sequence,
              },
            }
          : {}),
        ...(matchOffset !== undefined ? { matchOffset } : {}),
      });
    }
    const [outcome] = await appendAll(deps, [append]);
    if (!outcome!.ok) throw outcome!.error;
    return c.json(
      {
        partition,
        base_offset: outcome!.baseOffset,
        last_offset: outcome!.lastOffset,
        timestamp: append.maxTimestamp,
      },
      200,
    );
  });
}

/**
 * Which records go to which partition (record indices per partition, in request order): the
 * record's own partition, else Kafka's partitioner for its key, else one random partition shared
 * by all keyless records of the request (one batch, as Kafka's sticky partitioner makes).
 */
function partitionShares(
  records: readonly ProduceRecord[],
  inputs: readonly RecordInput[],
  partitionCount: number,
  random: () => number,
): Map<number, number[]> {
  const shares = new Map<number, number[]>();
  let sticky: number | undefined;
  for (let i = 0; i < inputs.length; i++) {
    const key = inputs[i]!.key;
    let partition = records[i]!.partition;
    if (partition === undefined && key !== null) partition = partitionForKey(key, partitionCount);
    if (partition === undefined) {
      sticky ??= Math.floor(random() * partitionCount);
      partition = sticky;
    }
    const share = shares.get(partition);
    if (share) share.push(i);
    else shares.set(partition, [i]);
  }
  return shares;
}

type ProduceReplyResult =
  | { partition: number; offset: number; timestamp: number }
  | { error_code: string; message: string; retriable: boolean };
