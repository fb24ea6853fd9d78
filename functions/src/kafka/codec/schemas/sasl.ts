/** SASL authentication messages (KIP-43, KIP-152): the grammar of each above it. */
import { arrayOf, bytes, int16, int64, message, string } from "../schema.js";

/**
 *   SaslHandshake Request (v0-1; never flexible) => mechanism
 *   SaslHandshake Response => error_code [mechanisms]
 * After v0 the SASL tokens follow as bare size-prefixed frames; after v1 in SaslAuthenticate
 * requests. librdkafka only uses SASL when v0 is advertised (its "SaslHandshake" feature), then
 * picks v1.
 */
export const saslHandshake = message(
  17,
  "SaslHandshake",
  "0-1",
  "none",
  [string("mechanism")],
  [int16("errorCode"), arrayOf("mechanisms", "string")],
);

/**
 *   SaslAuthenticate Request (v0-2; flexible v2+) => auth_bytes
 *   SaslAuthenticate Response => error_code error_message auth_bytes session_lifetime_ms (v1+)
 */
export const saslAuthenticate = message(
  36,
  "SaslAuthenticate",
  "0-2",
  "2+",
  [bytes("authBytes")],
  [
    int16("errorCode"),
    string("errorMessage", { nullable: "0+", default: null }),
    bytes("authBytes"),
    int64("sessionLifetimeMs", { v: "1+" }),
  ],
);
