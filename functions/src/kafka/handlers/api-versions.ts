/**
 * ApiVersions: every API key of the dispatch table with the version range its schema
 * implements. Advertised and implemented can therefore never differ.
 */
import type { Message } from "../codec/codec.js";
import { SCHEMAS } from "../codec/schemas/index.js";
import type { Handler } from "../context.js";

export function apiVersionsAnswer(handlers: ReadonlyMap<number, Handler>, errorCode: number): Message {
  const apiKeys = [...handlers.keys()]
    .sort((a, b) => a - b)
    .map((apiKey) => {
      const s = SCHEMAS.get(apiKey)!;
      return { apiKey, minVersion: s.versions.min, maxVersion: s.versions.max };
    });
  return { errorCode, apiKeys, throttleTimeMs: 0 };
}
