/**
 * Produce: each partition's record batches become one `PartitionAppend`, validated before
 * anything is stored (appendFromBatches: lengths, CRCs, max.message.bytes) and stored as the
 * producer sent them, codec kept. acks ≠ 0 is answered only once the engine's commit is durable
 * (the S3 object and the DynamoDB head); acks = 0 gets no response at all, as in Kafka.
 * An idempotent producer's batch header (producer id, epoch, base sequence) becomes the append's
 * producer stamp, so Kafka's sequence and epoch rules run on the partition head, as for HTTP.
 */
import type { AppendOutcome, PartitionAppend } from "../../engine/append-types.js";
import { appendFromBatches } from "../../engine/batch-validation.js";
import type { Message } from "../codec/codec.js";
import { type Handler, overPartitionCap, type RequestContext } from "../context.js";
import { KAFKA, kafkaError } from "../errors.js";
import { mapLimit } from "../map-limit.js";

interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: { name: string; partitionData: { index: number; records: Uint8Array | null }[] }[];
}

interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
  recordErrors: never[];
  errorMessage: string | null;
}

function failed(index: number, code: number, message: string | null): PartitionResult {
  return {
    index,
    errorCode: code,
    baseOffset: -1,
    logAppendTimeMs: -1,
    logStartOffset: -1,
    recordErrors: [],
    errorMessage: message,
  };
}

/**
 * Each written partition's log start offset (Produce v5+ answers it; clients use it to notice
 * retention). The head our own commit just cached is the answer (log start only grows); a
 * partition whose head cannot be read now keeps -1 rather than failing a durable write.
 */
async function withLogStart(results: PartitionResult[][], req: ProduceRequest, ctx: RequestContext) {
  const { log, requestLimits } = ctx.deps;
  const written = req.topicData.flatMap((topic, t) =>
    topic.partitionData.map((part, p) => ({ topic: topic.name, part, r: results[t]![p]! })),
  );
  await mapLimit(
    written.filter((w) => w.r.errorCode === KAFKA.NONE),
    requestLimits.readConcurrency,
    async ({ topic, part, r }) => {
      try {
        const meta = await log.requirePartition(topic, part.index);
        r.logStartOffset = (await log.head(meta, part.index, Number.MAX_SAFE_INTEGER)).logStartOffset;
      } catch {
        // keeps -1: the records are durable whatever this read does
      }
    },
  );
}

export const handleProduce: Handler = async (message, ctx) => {
  const req = message as unknown as ProduceRequest;
  const { log, appender } = ctx.deps;
  const results: PartitionResult[][] = req.topicData.map((t) =>
    t.partitionData.map((p) => failed(p.index, 0, null)),
  );
  let refuse: { code: number; message: string } | undefined;
  if (req.transactionalId !== null) {
    refuse = {
      code: KAFKA.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
      message: "transactions are not supported yet; use an idempotent producer",
    };
  } else if (req.acks !== 0 && req.acks !== 1 && req.acks !== -1) {
    refuse = { code: KAFKA.INVALID_REQUIRED_ACKS, message: `acks must be -1, 0 or 1, got ${req.acks}` };
  }

  // Validation and submission in this connection's produce order; the commits then overlap.
  const submitted = await ctx.inProduceOrder(async () => {
    const appends: PartitionAppend[] = [];
    const slots: { t: number; p: number }[] = [];
    let named = 0;
    for (let t = 0; t < req.topicData.length; t++) {
      const topic = req.topicData[t]!;
      for (let p = 0; p < topic.partitionData.length; p++) {
        const part = topic.partitionData[p]!;
        if (++named > ctx.deps.requestLimits.partitionsMax) {
          results[t]![p] = failed(
            part.index,
            KAFKA.INVALID_REQUEST,
            overPartitionCap(ctx.deps.requestLimits),
          );
          continue;
        }
        if (refuse) {
          results[t]![p] = failed(part.index, refuse.code, refuse.message);
          continue;
        }
        try {
          const meta = await log.requirePartition(topic.name, part.index);
          if (!part.records || part.records.byteLength === 0) {
            results[t]![p] = failed(part.index, KAFKA.CORRUPT_MESSAGE, "no record batch");
            continue;
          }
          appends.push(appendFromBatches(meta, part.index, part.records));
          slots.push({ t, p });
        } catch (error) {
          const e = kafkaError(error, "produce");
          results[t]![p] = failed(part.index, e.code, e.message);
        }
      }
    }
    let outcomes: Promise<AppendOutcome[]> = Promise.resolve([]);
    if (appends.length > 0) {
      try {
        outcomes = appender.append(appends);
      } catch (error) {
        outcomes = Promise.reject(error);
      }
    }
    return { outcomes, slots };
  });

  const settle = async (): Promise<void> => {
    try {
      const outcomes = await submitted.outcomes;
      outcomes.forEach((outcome, i) => {
        const { t, p } = submitted.slots[i]!;
        const index = req.topicData[t]!.partitionData[p]!.index;
        if (outcome.ok) {
          results[t]![p] = { ...failed(index, KAFKA.NONE, null), baseOffset: outcome.baseOffset };
        } else {
          const e = kafkaError(outcome.error, "produce");
          results[t]![p] = failed(index, e.code, e.message);
        }
      });
    } catch (error) {
      const e = kafkaError(error, "produce");
      if (e.code === KAFKA.UNKNOWN_SERVER_ERROR) ctx.deps.logError(error);
      for (const { t, p } of submitted.slots)
        results[t]![p] = failed(req.topicData[t]!.partitionData[p]!.index, e.code, e.message);
    }
  };

  if (req.acks === 0) {
    // No response at all: the client does not wait, so neither do this connection's later
    // answers. A failure closes the connection, as a Kafka broker does: the only way an acks=0
    // producer can notice (it reconnects, refreshes its metadata and goes on).
    void settle().then(() => {
      if (results.some((topic) => topic.some((r) => r.errorCode !== KAFKA.NONE))) ctx.closeConnection();
    });
    return undefined;
  }
  await settle();
  await withLogStart(results, req, ctx);
  const response: Message = {
    responses: req.topicData.map((topic, t) => ({ name: topic.name, partitionResponses: results[t] })),
    throttleTimeMs: 0,
  };
  return response;
};
