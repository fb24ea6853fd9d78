/**
 * Producer ids for idempotent Kafka producers (InitProducerId), unique across every agent: one
 * counter item in the manifest, advanced by compare-and-set.
 *
 *   pk      sk             data
 *   kafka   producer-ids   { next }   the next id to hand out
 *
 * The race the version condition prevents (two agents allocating at once):
 *
 *   agent A                       manifest                    agent B
 *   get  → next=7, version 3                                  get  → next=7, version 3
 *   put next=8 if version=3  ───▶ next=8, version 4  ✓
 *                                 ✗ ◀─── put next=8 if version=3  (ConditionFailed)
 *                                                             get  → next=8, version 4
 *                                 next=9, version 5 ◀───────  put next=9 if version=4  ✓
 *   A hands out 7                                             B hands out 8
 *
 * A put whose response is lost and whose SDK retry then fails the condition is treated like B's
 * lost race: re-read and try again. The id it had claimed is skipped, never handed out twice.
 */
import { FloeError } from "../../../client/src/errors.js";
import { ConditionFailedError, type ManifestStore } from "../ports/manifest-store.js";

export const PRODUCER_IDS_PK = "kafka";
export const PRODUCER_IDS_SK = "producer-ids";
/** Kafka producer ids are int64; ours stay below 2^53 so they are exact JS numbers. */
const MAX_PRODUCER_ID = Number.MAX_SAFE_INTEGER;
const ATTEMPTS = 20;

export interface ProducerIdAllocator {
  allocate(): Promise<number>;
}

export class ManifestProducerIds implements ProducerIdAllocator {
  /** One allocation at a time per agent: only other agents ever race us for the counter. */
  private turn: Promise<unknown> = Promise.resolve();

  constructor(private readonly manifest: ManifestStore) {}

  allocate(): Promise<number> {
    const next = this.turn.then(() => this.claim());
    this.turn = next.catch(() => undefined);
    return next;
  }

  private async claim(): Promise<number> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const item = await this.manifest.get(PRODUCER_IDS_PK, PRODUCER_IDS_SK);
      const next = item ? Number(item.data.next) : 0;
      if (!Number.isSafeInteger(next) || next < 0 || next >= MAX_PRODUCER_ID)
        throw new FloeError("internal", `producer id counter holds ${String(item?.data.next)}`);
      try {
        await this.manifest.put(
          {
            pk: PRODUCER_IDS_PK,
            sk: PRODUCER_IDS_SK,
            version: (item?.version ?? 0) + 1,
            data: { next: next + 1 },
          },
          item ? { kind: "version", version: item.version } : { kind: "absent" },
        );
        return next;
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    throw new FloeError("unavailable", "producer ids are contended; retry", {}, 1);
  }
}
