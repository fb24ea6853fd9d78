import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import {
  type BatchInput,
  decodeRecordBatches,
  encodeRecordBatch,
  type Lz4Backend,
  type RecordHeader,
  setLz4Backend,
} from "../../../client/src/format/index.js";
import { batchArb, expectedRecords, headerArb, hex, normalized } from "./arbitraries.js";
import { kafkajsCanEncodeHeaders, kafkajsDecodeBatch, kafkajsEncodeBatch } from "./kafkajs-peer.js";

afterEach(() => setLz4Backend("auto"));

/** kafkajs returns headers as an object; duplicate keys become arrays. */
function groupedHeaders(headers: RecordHeader[]): Record<string, string | null | (string | null)[]> {
  const out: Record<string, string | null | (string | null)[]> = {};
  for (const h of headers) {
    const key = new TextDecoder().decode(new TextEncoder().encode(h.key));
    const existing = Object.hasOwn(out, key) ? out[key] : undefined;
    const v = hex(h.value);
    if (existing === undefined) out[key] = v;
    else if (Array.isArray(existing)) existing.push(v);
    else out[key] = [existing, v];
  }
  return out;
}

/**
 * kafkajs's decoder folds headers into a plain object with `obj[key] === undefined` checks, so a
 * key named like an Object.prototype member ("valueOf", "__proto__") comes back mangled: a
 * kafkajs limitation, kept out of the comparison.
 */
const notPrototypeKey = (h: RecordHeader) => !(h.key in Object.prototype);
const decodableHeadersArb = fc.array(headerArb.filter(notPrototypeKey), { maxLength: 4 });

/** Headers kafkajs's encoder can express: grouped by key, in object-key order, no null values. */
const encodableHeadersArb = fc
  .array(
    headerArb.map((h) => ({ key: h.key, value: h.value ?? new Uint8Array(0) })),
    { maxLength: 4 },
  )
  .map((hs) => [...hs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)))
  .filter(kafkajsCanEncodeHeaders);

const BACKENDS: Lz4Backend[] = ["native", "js"];

describe("interop with kafkajs's RecordBatch v2 codec", () => {
  it.each(BACKENDS)("kafkajs decodes every batch we encode (lz4 backend: %s)", async (backend) => {
    setLz4Backend(backend);
    await fc.assert(
      fc.asyncProperty(
        batchArb({ maxRecords: 8, headers: decodableHeadersArb }),
        async (input: BatchInput) => {
          // Act
          const batch = await kafkajsDecodeBatch(encodeRecordBatch(input));

          // Assess
          const base = input.baseOffset ?? 0;
          const deltas = input.offsetDeltas ?? input.records.map((_, i) => i);
          expect({
            firstOffset: batch.firstOffset,
            firstTimestamp: batch.firstTimestamp,
            maxTimestamp: batch.maxTimestamp,
            lastOffsetDelta: batch.lastOffsetDelta,
            producerId: batch.producerId,
            producerEpoch: batch.producerEpoch,
            firstSequence: batch.firstSequence,
            partitionLeaderEpoch: batch.partitionLeaderEpoch,
            inTransaction: batch.inTransaction,
            isControlBatch: batch.isControlBatch,
          }).toEqual({
            firstOffset: String(base),
            firstTimestamp: String(input.records[0]!.timestamp),
            maxTimestamp: String(Math.max(...input.records.map((r) => r.timestamp))),
            lastOffsetDelta: input.lastOffsetDelta ?? deltas[deltas.length - 1],
            producerId: String(input.producerId ?? -1),
            producerEpoch: input.producerEpoch ?? -1,
            firstSequence: input.baseSequence ?? -1,
            partitionLeaderEpoch: input.partitionLeaderEpoch ?? -1,
            inTransaction: false,
            isControlBatch: false,
          });
          expect(
            batch.records.map((r) => ({
              offset: r.offset,
              timestamp: r.timestamp,
              key: hex(r.key),
              value: hex(r.value),
              headers: Object.fromEntries(
                Object.entries(r.headers).map(([k, v]) => [k, Array.isArray(v) ? v.map(hex) : hex(v)]),
              ),
            })),
          ).toEqual(
            input.records.map((r, i) => ({
              offset: String(base + deltas[i]!),
              timestamp: String(r.timestamp),
              key: hex(r.key),
              value: hex(r.value),
              headers: groupedHeaders(r.headers),
            })),
          );
        },
      ),
      { numRuns: 80 },
    );
  });

  it.each(BACKENDS)("we decode every batch kafkajs encodes (lz4 backend: %s)", async (backend) => {
    setLz4Backend(backend);
    await fc.assert(
      fc.asyncProperty(batchArb({ maxRecords: 8, headers: encodableHeadersArb }), async (input) => {
        // Act
        const bytes = await kafkajsEncodeBatch(input);
        const batches = decodeRecordBatches(bytes);

        // Assess
        expect(batches).toHaveLength(1);
        expect(normalized(batches[0]!.records)).toEqual(expectedRecords(input));
        const h = batches[0]!.header;
        expect([h.producerId, h.producerEpoch, h.baseSequence, h.partitionLeaderEpoch]).toEqual([
          input.producerId ?? -1,
          input.producerEpoch ?? -1,
          input.baseSequence ?? -1,
          input.partitionLeaderEpoch ?? -1,
        ]);
        // Uncompressed, the two encoders must agree to the byte (LZ4 output differs by compressor).
        if (input.compression === "none") {
          expect(Buffer.from(encodeRecordBatch(input)).toString("hex")).toBe(
            Buffer.from(bytes).toString("hex"),
          );
        }
      }),
      { numRuns: 80 },
    );
  });
});
