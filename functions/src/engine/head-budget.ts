/**
 * The exact size of the head a commit plan is building, kept up to date append by append so that
 * the plan can stop before the head outgrows its byte budget (commit-plan.ts). Recomputing the
 * whole item for every append would be quadratic in the pending entries of a flush; this keeps
 * the two collections' sums and resizes only what an append changes:
 *   head = scalars (with empty `pending` and `producers`) + Σ pending entries + Σ producers
 * (item-size.ts gives the rules; `planCommit` asserts the sum against a full serialisation in tests).
 */
import { listElementBytes, manifestItemBytes, mapMemberBytes, utf8Bytes } from "./item-size.js";
import {
  entryToData,
  headToItem,
  type IndexEntry,
  type PartitionHead,
  type ProducerState,
  producerToData,
} from "./model.js";

/**
 * Producer states are immutable (a plan replaces a producer's state, never edits it), so each
 * one's size is computed once; with this process's own heads reused between commits, a steady
 * partition re-sizes only the producers that just wrote.
 */
const producerValueBytes = new WeakMap<ProducerState, number>();

function producerMemberBytes(id: string, state: ProducerState): number {
  let bytes = producerValueBytes.get(state);
  if (bytes === undefined) {
    bytes = mapMemberBytes("", producerToData(state));
    producerValueBytes.set(state, bytes);
  }
  return utf8Bytes(id) + bytes;
}

export interface HeadScalars {
  nextOffset: number;
  lastTimestamp: number;
  appendedBytes: number;
}

export class HeadBudget {
  /** Entries of the plan before the open run (the one the next adjacent append would extend). */
  private closedEntryBytes = 0;
  private openRunBytes = 0;
  private readonly producerBytes = new Map<string, number>();
  private producerBytesTotal = 0;

  constructor(
    private readonly head: PartitionHead,
    producers: ReadonlyMap<string, ProducerState>,
  ) {
    for (const [id, state] of producers) this.setProducer(id, state);
  }

  /** The head's size if an append were accepted with these effects. */
  bytesWith(
    scalars: HeadScalars,
    run: IndexEntry,
    extendsOpenRun: boolean,
    producer?: [string, ProducerState],
  ): number {
    const runBytes = listElementBytes(entryToData(run));
    const pending = this.closedEntryBytes + (extendsOpenRun ? 0 : this.openRunBytes) + runBytes;
    let producers = this.producerBytesTotal;
    if (producer) {
      const [id, state] = producer;
      producers += producerMemberBytes(id, state) - (this.producerBytes.get(id) ?? 0);
    }
    return this.scalarBytes(scalars) + pending + producers;
  }

  /** Records an accepted append (the same arguments `bytesWith` was asked about). */
  accept(run: IndexEntry, extendsOpenRun: boolean, producer?: [string, ProducerState]): void {
    if (!extendsOpenRun) this.closedEntryBytes += this.openRunBytes;
    this.openRunBytes = listElementBytes(entryToData(run));
    if (producer) this.setProducer(producer[0], producer[1]);
  }

  /** The size of the head with these scalars and the accepted entries and producers. */
  total(scalars: HeadScalars): number {
    return this.scalarBytes(scalars) + this.closedEntryBytes + this.openRunBytes + this.producerBytesTotal;
  }

  private setProducer(id: string, state: ProducerState): void {
    const bytes = producerMemberBytes(id, state);
    this.producerBytesTotal += bytes - (this.producerBytes.get(id) ?? 0);
    this.producerBytes.set(id, bytes);
  }

  /** Everything but the members of `pending` and `producers` (their empty containers included). */
  private scalarBytes(scalars: HeadScalars): number {
    return manifestItemBytes(
      headToItem({
        ...this.head,
        ...scalars,
        pending: [],
        producers: new Map(),
        version: this.head.version + 1,
      }),
    );
  }
}
