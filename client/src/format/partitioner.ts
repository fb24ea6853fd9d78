/**
 * Kafka's default partitioner for keyed records, bit-exact with the Java client
 * (`Utils.murmur2` / `Utils.toPositive`, `BuiltInPartitioner.partitionForKey`) and kafkajs, so a
 * key lands on the same partition whichever of them produced it.
 */

const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

/** Java Kafka's murmur2 (MurmurHash2, 32-bit, seed 0x9747b28c) as a signed 32-bit integer. */
export function murmur2(key: Uint8Array): number {
  const length = key.length;
  let h = SEED ^ length;
  const length4 = length & ~3;
  for (let i = 0; i < length4; i += 4) {
    let k = key[i]! | (key[i + 1]! << 8) | (key[i + 2]! << 16) | (key[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // The Java switch falls through 3 -> 2 -> 1.
  const rest = length & 3;
  if (rest >= 3) h ^= key[length4 + 2]! << 16;
  if (rest >= 2) h ^= key[length4 + 1]! << 8;
  if (rest >= 1) {
    h ^= key[length4]!;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** Java's `Utils.toPositive`: clears the sign bit (not Math.abs, which overflows on MIN_VALUE). */
export function toPositive(n: number): number {
  return n & 0x7fffffff;
}

/** The partition Kafka assigns to a keyed record among `partitions` partitions. */
export function partitionForKey(key: Uint8Array, partitions: number): number {
  if (!(Number.isInteger(partitions) && partitions > 0 && partitions <= 0x7fffffff)) {
    throw new RangeError(`partitions must be a positive integer, got ${partitions}`);
  }
  return toPositive(murmur2(key)) % partitions;
}
