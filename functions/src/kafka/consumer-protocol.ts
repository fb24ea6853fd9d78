/**
 * The two embedded layouts of the "consumer" protocol type the coordinator needs to look into
 * (everything else in JoinGroup / SyncGroup is opaque client bytes). Both are non-flexible in every
 * version, so their prefixes read the same way whatever the version:
 *
 *   ConsumerProtocolSubscription (v0-3) => version:int16 [topic:string] user_data:bytes ...
 *   ConsumerProtocolAssignment   (v0-3) => version:int16 [topic:string [partition:int32]] user_data:bytes
 *
 * string = int16 length + UTF-8; array = int32 count. Anything that does not parse yields
 * undefined: the coordinator then treats the bytes as opaque (no fences from them).
 */
import { concatBytes } from "../../../client/src/format/bytes.js";

export const CONSUMER_PROTOCOL_TYPE = "consumer";

class Reader {
  private pos = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  int16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  string(): string {
    const n = this.int16();
    if (n < 0) throw new RangeError("null string");
    this.need(n);
    const s = new TextDecoder("utf-8", { fatal: true }).decode(this.bytes.subarray(this.pos, this.pos + n));
    this.pos += n;
    return s;
  }
  count(minBytesEach: number): number {
    const n = this.int32();
    if (n < 0 || n * minBytesEach > this.bytes.length - this.pos) throw new RangeError("bad array length");
    return n;
  }
  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new RangeError("truncated");
  }
}

/** The topics a member subscribes to, from its "consumer" protocol metadata. */
export function subscribedTopics(metadata: Uint8Array): string[] | undefined {
  try {
    const r = new Reader(metadata);
    r.int16();
    const n = r.count(2);
    const topics: string[] = [];
    for (let i = 0; i < n; i++) topics.push(r.string());
    return topics;
  } catch {
    return undefined;
  }
}

/** The partitions an assignment gives its member. An empty byte string is an empty assignment. */
export function assignedPartitions(
  assignment: Uint8Array,
): { topic: string; partition: number }[] | undefined {
  if (assignment.length === 0) return [];
  try {
    const r = new Reader(assignment);
    r.int16();
    const topics = r.count(6);
    const out: { topic: string; partition: number }[] = [];
    for (let i = 0; i < topics; i++) {
      const topic = r.string();
      const n = r.count(4);
      for (let j = 0; j < n; j++) {
        const partition = r.int32();
        if (partition < 0) return undefined;
        out.push({ topic, partition });
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

/** Encoders for tests and tools (the client side of the layouts above, version 0). */
export function encodeAssignment(partitions: Map<string, number[]>, userData = new Uint8Array()): Uint8Array {
  const parts: Uint8Array[] = [int16(0), int32(partitions.size)];
  for (const [topic, ps] of partitions) {
    parts.push(str(topic), int32(ps.length), ...ps.map(int32));
  }
  parts.push(int32(userData.length), userData);
  return concatBytes(parts);
}

export function encodeSubscription(topics: string[], userData = new Uint8Array()): Uint8Array {
  return concatBytes([int16(0), int32(topics.length), ...topics.map(str), int32(userData.length), userData]);
}

function int16(v: number): Uint8Array {
  const b = new Uint8Array(2);
  new DataView(b.buffer).setInt16(0, v);
  return b;
}
function int32(v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v);
  return b;
}
function str(s: string): Uint8Array {
  const bytes = new TextEncoder().encode(s);
  return concatBytes([int16(bytes.length), bytes]);
}
