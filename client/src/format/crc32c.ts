/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka RecordBatch v2.
 *
 * Slicing-by-8: eight 256-entry tables let the main loop fold 8 input bytes per step with eight
 * independent lookups instead of eight dependent ones, which is what makes a pure-TS CRC fast
 * enough for the produce path (several hundred MB/s in V8).
 */

const POLY = 0x82f63b78;

/** TABLE[k * 256 + i] = CRC of byte i followed by k zero bytes. */
const TABLE: Int32Array = buildTable();

function buildTable(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let b = 0; b < 8; b++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[i] = c;
  }
  for (let i = 0; i < 256; i++) {
    let c = t[i]!;
    for (let k = 1; k < 8; k++) {
      c = (c >>> 8) ^ t[c & 0xff]!;
      t[k * 256 + i] = c;
    }
  }
  return t;
}

/**
 * CRC-32C of `data[start, end)` as an unsigned 32-bit number. Out-of-range bounds are a
 * programming error (RangeError), not malformed input.
 */
export function crc32c(data: Uint8Array, start = 0, end: number = data.length): number {
  if (
    !(Number.isInteger(start) && Number.isInteger(end) && 0 <= start && start <= end && end <= data.length)
  ) {
    throw new RangeError(`crc32c: bad range [${start}, ${end}) for ${data.length} bytes`);
  }
  const t = TABLE;
  let crc = -1;
  let i = start;
  const end8 = start + ((end - start) & ~7);
  while (i < end8) {
    const lo = crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24));
    crc =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!;
    i += 8;
  }
  while (i < end) {
    crc = t[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}
