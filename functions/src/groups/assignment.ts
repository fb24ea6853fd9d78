/**
 * The assignor: pure, deterministic, balanced and sticky. It decides where each partition of the
 * subscribed topics *should* be (the target assignment, KIP-848's term); reconcile.ts decides when
 * a member may actually have it (only once its previous holder has let go).
 *
 * 1. Keep: every member keeps its previous target partitions that are still valid (subscribed,
 *    existing, not claimed twice).
 * 2. Fill: each unassigned partition goes to the eligible (subscribed) member holding the fewest.
 * 3. Even out: while some member `a` holds a partition that a member `b` could take and
 *    `count(a) >= count(b) + 2`, move one (the most recently added first, so older ones stay).
 *    Each move lowers the sum of squared counts by at least 2, so this ends.
 *
 * With equal subscriptions step 3 leaves max - min <= 1, and a member only ever loses partitions
 * while it holds more than floor(P/N), so it keeps min(previous, floor(P/N)) of what it had.
 * With unequal subscriptions no member can take a partition from one holding two or more than it.
 */

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface AssignorMember {
  id: string;
  /** Subscribed topics. */
  topics: readonly string[];
  /** The member's previous target, kept where balance allows. */
  previous: readonly TopicPartition[];
}

/** `topic#partition`: topic names cannot contain `#`, so this is unambiguous. */
export function partitionId(tp: TopicPartition): string {
  return `${tp.topic}#${tp.partition}`;
}

export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}

interface Slot {
  id: string;
  topics: ReadonlySet<string>;
  /** Previous partitions first, then the ones added here, in the order they were added. */
  list: TopicPartition[];
  perTopic: Map<string, number>;
}

/**
 * Each member's target assignment. `partitionCounts` gives the partition count of every subscribed
 * topic that exists; topics missing from it get no partitions. Members are considered in id order,
 * so the result does not depend on the order of `members`.
 */
export function assignTargets(
  partitionCounts: ReadonlyMap<string, number>,
  members: readonly AssignorMember[],
): Map<string, TopicPartition[]> {
  const slots: Slot[] = [...members]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((m) => ({ id: m.id, topics: new Set(m.topics), list: [], perTopic: new Map() }));
  const taken = new Set<string>();
  const byId = new Map(members.map((m) => [m.id, m]));

  // 1. Keep.
  for (const slot of slots) {
    for (const tp of byId.get(slot.id)!.previous) {
      const count = partitionCounts.get(tp.topic);
      if (!slot.topics.has(tp.topic) || count === undefined) continue;
      if (!Number.isInteger(tp.partition) || tp.partition < 0 || tp.partition >= count) continue;
      const id = partitionId(tp);
      if (taken.has(id)) continue;
      taken.add(id);
      add(slot, { topic: tp.topic, partition: tp.partition });
    }
  }

  // 2. Fill.
  const topics = [...new Set(slots.flatMap((s) => [...s.topics]))].sort();
  for (const topic of topics) {
    const count = partitionCounts.get(topic) ?? 0;
    const eligible = slots.filter((s) => s.topics.has(topic));
    for (let partition = 0; partition < count; partition++) {
      if (taken.has(partitionId({ topic, partition }))) continue;
      let best = eligible[0]!;
      for (const s of eligible) if (s.list.length < best.list.length) best = s;
      taken.add(partitionId({ topic, partition }));
      add(best, { topic, partition });
    }
  }

  // 3. Even out.
  for (;;) {
    const move = findMove(slots);
    if (!move) break;
    const [from, to, index] = move;
    const [tp] = from.list.splice(index, 1);
    from.perTopic.set(tp!.topic, from.perTopic.get(tp!.topic)! - 1);
    add(to, tp!);
  }

  return new Map(slots.map((s) => [s.id, [...s.list].sort(compareTopicPartitions)]));
}

function add(slot: Slot, tp: TopicPartition): void {
  slot.list.push(tp);
  slot.perTopic.set(tp.topic, (slot.perTopic.get(tp.topic) ?? 0) + 1);
}

/** A (from, to, index in from.list) that evens out counts by one, or undefined when balanced. */
function findMove(slots: readonly Slot[]): [Slot, Slot, number] | undefined {
  const ascending = [...slots].sort((a, b) => a.list.length - b.list.length);
  for (const to of ascending) {
    for (let i = ascending.length - 1; i >= 0; i--) {
      const from = ascending[i]!;
      if (from.list.length < to.list.length + 2) break;
      if (![...to.topics].some((t) => (from.perTopic.get(t) ?? 0) > 0)) continue;
      for (let k = from.list.length - 1; k >= 0; k--) {
        if (to.topics.has(from.list[k]!.topic)) return [from, to, k];
      }
    }
  }
  return undefined;
}
