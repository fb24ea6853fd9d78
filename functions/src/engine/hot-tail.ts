/**
 * The hot tail: segment objects this process has just written, kept whole in memory (bounded in
 * bytes, oldest out first) so tailing consumers are served without any S3 GET. Only bytes whose
 * commit is visible in the manifest are ever served: the reader finds them through index entries.
 */
export class HotTail {
  /** Each object with the views handed out so far: the same range is the same view, so what the
   * reader learned about it (CRC-checked batch boundaries, keyed by the view) is kept. */
  private readonly objects = new Map<string, { bytes: Uint8Array; views: Map<number, Uint8Array> }>();
  private bytes = 0;
  hits = 0;

  constructor(private readonly capacityBytes: number) {}

  add(segmentKey: string, bytes: Uint8Array): void {
    if (bytes.byteLength > this.capacityBytes || this.objects.has(segmentKey)) return;
    this.objects.set(segmentKey, { bytes, views: new Map() });
    this.bytes += bytes.byteLength;
    while (this.bytes > this.capacityBytes) {
      const oldest = this.objects.entries().next();
      if (oldest.done) break;
      this.objects.delete(oldest.value[0]);
      this.bytes -= oldest.value[1].bytes.byteLength;
    }
  }

  /** The range, or undefined when the object is not (or no longer) here. */
  get(segmentKey: string, pos: number, len: number): Uint8Array | undefined {
    const object = this.objects.get(segmentKey);
    if (!object || pos + len > object.bytes.byteLength) return undefined;
    this.hits++;
    let view = object.views.get(pos);
    if (!view || view.byteLength !== len) {
      view = object.bytes.subarray(pos, pos + len);
      object.views.set(pos, view);
    }
    return view;
  }

  get sizeBytes(): number {
    return this.bytes;
  }
}
