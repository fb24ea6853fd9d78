/**
 * InitProducerId for idempotent producers: always a fresh id from the manifest counter at epoch
 * 0, as a Kafka broker answers every request without a transactional id (its
 * TransactionCoordinator "blindly" hands out a new producer id). The producer id and epoch a
 * client sends (v3+, KIP-360, after a sequence error or when its int16 epoch is exhausted) are
 * not trusted: bumping the epoch of whatever id a client names would let any client fence
 * another's producer, and an epoch past 32767 does not exist. A new id starts a new sequence
 * space at epoch 0, which is exactly what the client needs in both cases.
 * A transactional id is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, a fatal error every
 * client reports at once (transactions come later), instead of a retriable one it would retry.
 */
import type { Handler } from "../context.js";
import { KAFKA, kafkaError } from "../errors.js";

export const handleInitProducerId: Handler = async (message, ctx) => {
  const req = message as unknown as { transactionalId: string | null };
  const fail = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 });
  if (req.transactionalId !== null) return fail(KAFKA.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  try {
    const producerId = await ctx.deps.producerIds.allocate();
    return { throttleTimeMs: 0, errorCode: KAFKA.NONE, producerId, producerEpoch: 0 };
  } catch (error) {
    const e = kafkaError(error);
    if (e.code === KAFKA.UNKNOWN_SERVER_ERROR) ctx.deps.logError(error);
    return fail(e.code);
  }
};
