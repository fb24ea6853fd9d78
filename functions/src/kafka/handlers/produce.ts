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
import type { Handler } from "../context.js";
import { KAFKA, kafkaError } from "../errors.js";

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
    for (let t = 0; t < req.topicData.length; t++) {
      const topic = req.topicData[t]!;
      for (let p = 0; p < topic.partitionData.length; p++) {
        const part = topic.partitionData[p]!;
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

  if (req.acks === 0) {
    // No response at all: the client does not wait, so neither do this connection's later answers.
    submitted.outcomes.catch(() => undefined);
    return undefined;
  }
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
  const response: Message = {
    responses: req.topicData.map((topic, t) => ({ name: topic.name, partitionResponses: results[t] })),
    throttleTimeMs: 0,
  };
  return response;
};
