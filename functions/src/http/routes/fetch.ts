/**
 * Fetch and tail (api.md § Fetch). One URL, three representations chosen by Accept: JSON records,
 * the binary batches (application/vnd.floe.batch) or Server-Sent Events. Reads are stateless.
 */
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { BATCH_MEDIA_TYPE, JSON_MEDIA_TYPE } from "../body.js";
import type { AppDeps } from "../deps.js";
import { binaryResponse, jsonReply, planFetch, representationOf } from "../fetch-core.js";
import {
  errorResponses,
  FetchHeaders,
  FetchQuery,
  FetchReply,
  PartitionParams,
  TailReply,
} from "../schemas.js";
import { openEventStream } from "../sse.js";

const offsetHeader = (description: string) => ({
  description,
  schema: { type: "integer" as const, minimum: 0 },
});

const fetchRoute = createRoute({
  method: "get",
  path: "/v1/topics/{topic}/partitions/{partition}/records",
  summary: "Read records from one partition",
  description:
    "Start at most one of offset, timestamp or tail_offset (none: the log start offset). With wait > 0 at the end " +
    "of the log, long-polls until records arrive or the wait ends. Accept: application/vnd.floe.batch returns whole " +
    "batches; Accept: text/event-stream streams `batch`, `ping`, `error` and `end` events.",
  request: { params: PartitionParams, query: FetchQuery, headers: FetchHeaders },
  responses: {
    200: {
      description: "records (possibly none)",
      headers: {
        "Floe-Start-Offset": offsetHeader(
          "binary replies: the first offset selected (by offset, timestamp or tail_offset); skip records below it",
        ),
        "Floe-Next-Offset": offsetHeader("binary replies: offset after the last batch"),
        "Floe-High-Watermark": offsetHeader("binary replies: the partition's high watermark"),
        "Floe-Log-Start-Offset": offsetHeader("binary replies: the partition's log start offset"),
      },
      content: {
        [JSON_MEDIA_TYPE]: { schema: FetchReply },
        [BATCH_MEDIA_TYPE]: {
          schema: { type: "string", format: "binary", description: "Kafka RecordBatch v2, concatenated" },
        },
        "text/event-stream": {
          schema: {
            type: "string",
            description: "events: batch (data: FetchReply, id: next offset), ping, error (data: Error), end",
          },
        },
      },
    },
    ...errorResponses("topic_not_found", "partition_not_found", "offset_out_of_range"),
  },
});

const tailRoute = createRoute({
  method: "get",
  path: "/v1/topics/{topic}/partitions/{partition}/tail",
  summary: "The partition's bounds and last timestamp",
  request: { params: PartitionParams },
  responses: {
    200: { description: "the partition's tail", content: { [JSON_MEDIA_TYPE]: { schema: TailReply } } },
    ...errorResponses("topic_not_found", "partition_not_found"),
  },
});

export function registerFetchRoutes(app: OpenAPIHono, deps: AppDeps): void {
  app.openapi(fetchRoute, async (c) => {
    const { topic, partition } = c.req.valid("param");
    const headers = c.req.valid("header");
    const representation = representationOf(c.req.header("accept"));
    const resumeAt = representation === "sse" ? headers["Last-Event-ID"] : undefined;
    const plan = planFetch(c.req.valid("query"), deps.limits, headers["Floe-Format"] ?? "utf8", resumeAt);
    if (representation === "sse") return openEventStream(c, deps, topic, partition, plan);

    let start = plan.start;
    let result = await deps.log.fetch(topic, partition, start, plan.options);
    if (result.batches.length === 0 && plan.waitMs > 0 && result.nextOffset >= result.highWatermark) {
      const meta = await deps.log.requirePartition(topic, partition);
      await deps.watcher.wait(meta, partition, result.nextOffset, plan.waitMs, c.req.raw.signal);
      // Continue from where the first read ended (the selector was resolved once, as a Kafka
      // consumer resolves it once): re-resolving tail_offset=0 would skip what just arrived.
      start = { offset: result.nextOffset };
      result = await deps.log.fetch(topic, partition, start, plan.options);
    }
    if (representation === "batch") return binaryResponse(result);
    return c.json(jsonReply(result, start, plan), 200);
  });

  app.openapi(tailRoute, async (c) => {
    const { topic, partition } = c.req.valid("param");
    const tail = await deps.log.tail(topic, partition);
    return c.json(
      {
        high_watermark: tail.highWatermark,
        log_start_offset: tail.logStartOffset,
        last_timestamp: tail.lastTimestamp,
      },
      200,
    );
  });
}
