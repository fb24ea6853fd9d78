/**
 * Finding a partition's index entries in the commit chain (docs/design/manifest.md § Reading).
 *
 * Every commit record carries every partition's scalars after it, so along the chain a
 * partition's `nextOffset` and its running max timestamp `lastTimestamp` never decrease. "The
 * record holding offset X of partition p" is then the first record whose `nextOffset[p] > X`, and
 * "the first entry whose running max reaches T" (the time index, Kafka's ListOffsets by timestamp)
 * is in the first record whose `lastTimestamp[p] >= T`: both are found by bisecting the chain's
 * seqs, one GetItem per probe (decoded records are cached), at most ceil(log2(records)) + 1 probes.
 */
import type { CommitRecord } from "./commit-record.js";
import { entriesOf } from "./commit-record.js";
import type { Committer } from "./committer.js";
import type { IndexEntry, PartitionHead } from "./model.js";
import { EMPTY_SCALARS } from "./topic-state.js";

/** Records read ahead after a lookup, so a catch-up read finds the next entries in memory. */
const FOLLOWING_RECORDS = 32;

export class ChainIndex {
  stats = { probes: 0, pages: 0 };

  constructor(private readonly committer: Committer) {}

  /** Probes bisecting `count` records: each at least halves the range. */
  static probeBound(count: number): number {
    return count <= 1 ? 1 : Math.ceil(Math.log2(count)) + 1;
  }

  /**
   * The entry holding `offset` (below the head's high watermark) and the partition's entries of
   * the following records (read ahead, to be cached).
   */
  async entryFor(
    head: PartitionHead,
    offset: number,
  ): Promise<{ entry: IndexEntry; following: IndexEntry[] }> {
    const record = await this.firstRecord(head, (s) => s.nextOffset > offset);
    const entry =
      record &&
      entriesOf(record, head.partition).find((e) => e.baseOffset <= offset && offset <= e.lastOffset);
    if (!record || !entry)
      throw new Error(
        `no commit record of ${head.topicId} holds offset ${offset} of partition ${head.partition}`,
      );
    const following: IndexEntry[] = [];
    const to = Math.min(head.version, record.seq + FOLLOWING_RECORDS);
    let seq = record.seq + 1;
    while (seq <= to) {
      this.stats.pages++;
      const page = await this.committer.recordsBetween(head.topicId, seq, to, FOLLOWING_RECORDS);
      if (page.length === 0) break;
      for (const r of page) following.push(...entriesOf(r, head.partition));
      seq = page.at(-1)!.seq + 1;
    }
    return { entry, following };
  }

  /**
   * F of the time index: the first entry holding offsets >= `from` whose running max timestamp is
   * >= `timestamp`; undefined when no record reaches it. Every record before F is older than T.
   */
  async entryReaching(head: PartitionHead, timestamp: number, from: number): Promise<IndexEntry | undefined> {
    if (head.lastTimestamp < timestamp || head.nextOffset <= from) return undefined;
    const record = await this.firstRecord(head, (s) => s.nextOffset > from && s.lastTimestamp >= timestamp);
    if (!record) return undefined;
    return entriesOf(record, head.partition).find(
      (e) => e.lastOffset >= from && (e.maxTimestampSoFar ?? e.maxTimestamp) >= timestamp,
    );
  }

  /** The first record (seq 1..head.version) whose scalars of the partition satisfy `holds` (monotone). */
  private async firstRecord(
    head: PartitionHead,
    holds: (scalars: { nextOffset: number; lastTimestamp: number }) => boolean,
  ): Promise<CommitRecord | undefined> {
    let lo = 1;
    let hi = head.version;
    let found: CommitRecord | undefined;
    while (lo <= hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      this.stats.probes++;
      const record = await this.committer.recordAt(head.topicId, mid);
      if (!record) throw new Error(`commit chain of ${head.topicId}: record ${mid} is missing`);
      if (holds(record.partitions[head.partition] ?? EMPTY_SCALARS)) {
        found = record;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    return found;
  }
}
