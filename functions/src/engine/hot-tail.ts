/**
 * The hot tail: segment objects this process has just written, kept whole in memory (bounded in
 * bytes, oldest out first) so tailing consumers are served without any S3 GET. Only bytes whose
 * commit is visible in the manifest are ever served: the reader finds them through index entries.
 */
export class HotTail {
  private readonly objects = new Map<string, Uint8Array>();
  private bytes = 0;
  hits = 0;

  constructor(private readonly capacityBytes: number) {}

  add(segmentKey: string, bytes: Uint8Array): void {
    if (bytes.byteLength > this.capacityBytes || this.objects.has(segmentKey)) return;
    this.objects.set(segmentKey, bytes);
    this.bytes += bytes.byteLength;
    while (this.bytes > this.capacityBytes) {
      const oldest = this.objects.entries().next();
      if (oldest.done) break;
      this.objects.delete(oldest.value[0]);
      this.bytes -= oldest.value[1].byteLength;
    }
  }

  /** The range, or undefined when the object is not (or no longer) here. */
  get(segmentKey: string, pos: number, len: number): Uint8Array | undefined {
    const object = this.objects.get(segmentKey);
    if (!object || pos + len > object.byteLength) return undefined;
    this.hits++;
    return object.subarray(pos, pos + len);
  }

  get sizeBytes(): number {
    return this.bytes;
  }
}
