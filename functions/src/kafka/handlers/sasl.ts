/**
 * SaslHandshake and SaslAuthenticate (mechanism PLAIN; the exchange and its states: sasl.ts).
 * Both change the connection's state before their first `await`, i.e. while the connection is
 * still accepting this very frame, so the next pipelined request is already judged by it.
 */
import type { Handler } from "../context.js";
import { KAFKA } from "../errors.js";
import { SASL_MECHANISMS } from "../sasl.js";

export const handleSaslHandshake: Handler = async (message, ctx) => {
  const mechanism = (message as { mechanism: string }).mechanism;
  if (!SASL_MECHANISMS.includes(mechanism)) {
    ctx.closeAfterResponse();
    return { errorCode: KAFKA.UNSUPPORTED_SASL_MECHANISM, mechanisms: [...SASL_MECHANISMS] };
  }
  ctx.sasl.state = ctx.version === 0 ? "raw-token" : "handshaken";
  return { errorCode: KAFKA.NONE, mechanisms: [...SASL_MECHANISMS] };
};

const EMPTY = new Uint8Array(0);

export const handleSaslAuthenticate: Handler = async (message, ctx) => {
  const result = ctx.sasl.authenticate((message as { authBytes: Uint8Array }).authBytes);
  if (result.ok) return { errorCode: KAFKA.NONE, errorMessage: null, authBytes: EMPTY, sessionLifetimeMs: 0 };
  ctx.closeAfterResponse();
  ctx.sasl.state = "start";
  return {
    errorCode: KAFKA.SASL_AUTHENTICATION_FAILED,
    errorMessage: result.message,
    authBytes: EMPTY,
    sessionLifetimeMs: 0,
  };
};
