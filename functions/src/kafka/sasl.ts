/**
 * SASL on the Kafka listener (KIP-43 handshake, KIP-152 SaslAuthenticate), mechanism PLAIN.
 *
 * With API tokens configured (FLOE_API_TOKENS, the same ones the HTTP API's bearer auth accepts)
 * a connection must authenticate before anything but ApiVersions, SaslHandshake and
 * SaslAuthenticate: the password is one of the tokens, the username is free-form (it names the
 * client in logs only). Any other request before that closes the connection, as a Kafka broker's
 * SASL listener does (IllegalSaslStateException). Without tokens the listener is open and SASL is
 * optional: a client configured for SASL_PLAINTEXT/PLAIN is accepted with whatever credentials it
 * sends, so one client configuration works against a local agent and a secured one.
 *
 *   start ──SaslHandshake(PLAIN)──▶ handshaken ──SaslAuthenticate(ok)──▶ authenticated
 *     │                                │
 *     └─ other mechanism: UNSUPPORTED_SASL_MECHANISM, close
 *                                      └─ bad password / malformed: SASL_AUTHENTICATION_FAILED, close
 *
 * SaslHandshake v0 (librdkafka requires it to be advertised) is followed by the token as a bare
 * size-prefixed frame instead of a SaslAuthenticate request; both paths check the same way.
 *
 * Re-authentication (KIP-368) is not offered: session_lifetime_ms is 0, so a second handshake on
 * an authenticated connection closes it.
 */
import { API_KEYS } from "./codec/schemas/index.js";

export const SASL_MECHANISMS: readonly string[] = ["PLAIN"];

/** The listener-wide policy: built once from the configured tokens. */
export interface SaslPolicy {
  /** True when tokens are configured: nothing but the SASL exchange before authentication. */
  required: boolean;
  /** Whether `password` is an accepted token (constant time in the token). */
  accepts(password: string): boolean;
}

/** "raw-token": after a v0 handshake the next frame is the bare PLAIN token, not a request. */
export type SaslState = "start" | "handshaken" | "raw-token" | "authenticated";

/** One connection's place in the exchange. */
export class SaslSession {
  state: SaslState = "start";
  /** The authenticated username (logs). */
  user: string | undefined;

  constructor(readonly policy: SaslPolicy) {}

  /**
   * Checks PLAIN credentials; on success the connection is authenticated. The one check both the
   * SaslAuthenticate request and a v0 handshake's raw token go through.
   */
  authenticate(bytes: Uint8Array): { ok: true } | { ok: false; message: string } {
    const plain = parsePlain(bytes);
    if (!plain)
      return {
        ok: false,
        message: "Authentication failed: malformed SASL/PLAIN message (authzid NUL username NUL password)",
      };
    if (this.policy.required && !this.policy.accepts(plain.password))
      return {
        ok: false,
        message:
          "Authentication failed: invalid username or password (the password must be one of the agent's API tokens, FLOE_API_TOKENS)",
      };
    this.state = "authenticated";
    this.user = plain.user;
    return { ok: true };
  }

  authenticateRaw(bytes: Uint8Array): boolean {
    const result = this.authenticate(bytes);
    if (!result.ok) this.state = "start";
    return result.ok;
  }

  /** Whether a request of `apiKey` may run now; false closes the connection. */
  admits(apiKey: number): boolean {
    if (apiKey === API_KEYS.apiVersions) return true;
    if (apiKey === API_KEYS.saslHandshake) return this.state === "start";
    if (apiKey === API_KEYS.saslAuthenticate) return this.state === "handshaken";
    return !this.policy.required || this.state === "authenticated";
  }
}

/**
 * RFC 4616: message = [authzid] NUL authcid NUL passwd. Undefined when malformed. An authzid
 * other than the username is refused, as Kafka's PlainSaslServer does (no impersonation).
 */
export function parsePlain(bytes: Uint8Array): { user: string; password: string } | undefined {
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes);
  const parts = text.split("\u0000");
  if (parts.length !== 3) return undefined;
  const [authzid, user, password] = parts as [string, string, string];
  if (user === "" || password === "") return undefined;
  if (authzid !== "" && authzid !== user) return undefined;
  return { user, password };
}
