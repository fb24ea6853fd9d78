/**
 * InitProducerId for idempotent producers: a fresh id from the manifest counter at epoch 0, or,
 * when a producer asks to bump its epoch (v3+, after a sequence error), its own id at epoch + 1.
 * A transactional id is refused with TRANSACTIONAL_ID_AUTHORIZATION_FAILED, a fatal error every
 * client reports at once (transactions come later), instead of a retriable one it would retry.
 */
import type { Handler } from "../context.js";
import { KAFKA, kafkaError } from "../errors.js";

/** Kafka epochs are int16; the last one is kept unused so a bump can always be refused cleanly. */
const MAX_EPOCH = 32766;

export const handleInitProducerId: Handler = async (message, ctx) => {
  const req = message as unknown as {
    transactionalId: string | null;
    producerId: number;
    producerEpoch: number;
  };
  const fail = (errorCode: number) => ({ throttleTimeMs: 0, errorCode, producerId: -1, producerEpoch: -1 });
  if (req.transactionalId !== null) return fail(KAFKA.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  if (req.producerId >= 0 && req.producerEpoch >= 0 && req.producerEpoch < MAX_EPOCH)
    return {
      throttleTimeMs: 0,
      errorCode: KAFKA.NONE,
      producerId: req.producerId,
      producerEpoch: req.producerEpoch + 1,
    };
  try {
    const producerId = await ctx.deps.producerIds.allocate();
    return { throttleTimeMs: 0, errorCode: KAFKA.NONE, producerId, producerEpoch: 0 };
  } catch (error) {
    const e = kafkaError(error);
    if (e.code === KAFKA.UNKNOWN_SERVER_ERROR) ctx.deps.logError(error);
    return fail(e.code);
  }
};
