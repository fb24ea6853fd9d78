/**
 * The hot tail: segment objects this process has just written, kept whole in memory (bounded in
 * bytes, least recently used out first) so tailing consumers are served without any S3 GET. Only
 * bytes whose commit is visible in the manifest are ever served: the reader finds them through
 * index entries. A pure cache: a miss is a ranged S3 GET.
 *
 * Each object is charged its bytes plus TYPED_ARRAY_BYTES for itself and for every view handed
 * out (retained-size.ts), so the budget is an upper bound of what the tail keeps alive.
 */
import { MAP_ENTRY_BYTES, stringBytes, TYPED_ARRAY_BYTES } from "./retained-size.js";

interface HotObject {
  bytes: Uint8Array;
  /** The views handed out so far: the same range is the same view, so what the reader learned
   * about it (CRC-checked batch boundaries, keyed by the view) is kept. */
  views: Map<number, Uint8Array>;
  charge: number;
}

const VIEW_BYTES = MAP_ENTRY_BYTES + TYPED_ARRAY_BYTES;

export class HotTail {
  private readonly objects = new Map<string, HotObject>();
  private bytes = 0;
  hits = 0;

  constructor(readonly capacityBytes: number) {}

  add(segmentKey: string, bytes: Uint8Array): void {
    const charge = MAP_ENTRY_BYTES + stringBytes(segmentKey) + TYPED_ARRAY_BYTES + bytes.byteLength;
    if (charge > this.capacityBytes || this.objects.has(segmentKey)) return;
    this.objects.set(segmentKey, { bytes, views: new Map(), charge });
    this.bytes += charge;
    this.evict();
  }

  /** The range, or undefined when the object is not (or no longer) here. */
  get(segmentKey: string, pos: number, len: number): Uint8Array | undefined {
    const object = this.objects.get(segmentKey);
    if (!object || pos + len > object.bytes.byteLength) return undefined;
    this.hits++;
    this.objects.delete(segmentKey);
    this.objects.set(segmentKey, object);
    let view = object.views.get(pos);
    if (!view || view.byteLength !== len) {
      if (!view) {
        object.charge += VIEW_BYTES;
        this.bytes += VIEW_BYTES;
      }
      view = object.bytes.subarray(pos, pos + len);
      object.views.set(pos, view);
      this.evict(segmentKey);
    }
    return view;
  }

  get sizeBytes(): number {
    return this.bytes;
  }

  /** Least recently used first; `keep` (the object being read) only if nothing else is left. */
  private evict(keep?: string): void {
    while (this.bytes > this.capacityBytes) {
      let victim: string | undefined;
      for (const key of this.objects.keys()) {
        if (key !== keep || this.objects.size === 1) {
          victim = key;
          break;
        }
      }
      if (victim === undefined) break;
      this.bytes -= this.objects.get(victim)!.charge;
      this.objects.delete(victim);
    }
  }
}
