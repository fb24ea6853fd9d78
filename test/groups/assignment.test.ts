/**
 * The assignor alone (pure): examples, then properties over random topics, subscriptions and
 * previous assignments.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AssignorMember,
  assignTargets,
  partitionId,
  type TopicPartition,
} from "../../functions/src/groups/assignment.js";

const ids = (tps: readonly TopicPartition[]) => tps.map(partitionId).sort();

function countsOf(entries: Record<string, number>): Map<string, number> {
  return new Map(Object.entries(entries));
}

function members(
  n: number,
  topics: string[],
  previous: Map<string, TopicPartition[]> = new Map(),
): AssignorMember[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `m${i}`,
    topics,
    previous: previous.get(`m${i}`) ?? [],
  }));
}

function kept(
  before: Map<string, TopicPartition[]>,
  after: Map<string, TopicPartition[]>,
  id: string,
): number {
  const now = new Set(ids(after.get(id) ?? []));
  return ids(before.get(id) ?? []).filter((p) => now.has(p)).length;
}

describe("assignTargets examples", () => {
  it("splits 6 partitions over 3 equal members 2/2/2", () => {
    // Prepare
    const counts = countsOf({ orders: 6 });
    // Act
    const result = assignTargets(counts, members(3, ["orders"]));
    // Assess
    expect([...result.values()].map((l) => l.length)).toEqual([2, 2, 2]);
    expect(new Set([...result.values()].flat().map(partitionId)).size).toBe(6);
  });

  it("moves exactly one partition when a fourth member joins 6 partitions", () => {
    // Prepare
    const counts = countsOf({ orders: 6 });
    const before = assignTargets(counts, members(3, ["orders"]));
    // Act
    const after = assignTargets(counts, members(4, ["orders"], before));
    // Assess
    const moved = [0, 1, 2].reduce(
      (n, i) => n + (before.get(`m${i}`)!.length - kept(before, after, `m${i}`)),
      0,
    );
    expect(moved).toBe(1);
    expect(after.get("m3")).toHaveLength(1);
  });

  it("keeps every remaining member's partitions when one leaves", () => {
    // Prepare
    const counts = countsOf({ a: 5, b: 4 });
    const before = assignTargets(counts, members(3, ["a", "b"]));
    const remaining = members(3, ["a", "b"], before).filter((m) => m.id !== "m1");
    // Act
    const after = assignTargets(counts, remaining);
    // Assess
    for (const m of remaining) expect(kept(before, after, m.id)).toBe(before.get(m.id)!.length);
    expect(ids([...after.values()].flat())).toHaveLength(9);
  });

  it("gives a member only topics it subscribes to and balances each topic's eligible members", () => {
    // Prepare
    const counts = countsOf({ a: 4, b: 4 });
    const input: AssignorMember[] = [
      { id: "x", topics: ["a"], previous: [] },
      { id: "y", topics: ["a", "b"], previous: [] },
      { id: "z", topics: ["b"], previous: [] },
    ];
    // Act
    const result = assignTargets(counts, input);
    // Assess
    expect(result.get("x")!.every((tp) => tp.topic === "a")).toBe(true);
    expect(result.get("z")!.every((tp) => tp.topic === "b")).toBe(true);
    expect(result.get("x")!.length + result.get("y")!.length + result.get("z")!.length).toBe(8);
    expect(
      Math.max(...[...result.values()].map((l) => l.length)) -
        Math.min(...[...result.values()].map((l) => l.length)),
    ).toBeLessThanOrEqual(1);
  });

  it("drops previous partitions of topics that vanished or shrank, and of topics no longer subscribed", () => {
    // Prepare
    const previous = new Map([
      [
        "m0",
        [
          { topic: "gone", partition: 0 },
          { topic: "a", partition: 7 },
          { topic: "b", partition: 0 },
        ],
      ],
    ]);
    // Act
    const result = assignTargets(countsOf({ a: 2, b: 1 }), members(1, ["a"], previous));
    // Assess
    expect(ids(result.get("m0")!)).toEqual(["a#0", "a#1"]);
  });
});

// ---- properties -------------------------------------------------------------------------------

const topicNames = ["a", "b", "c", "d"];

const scenario = fc.record({
  counts: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: 4, maxLength: 4 }),
  subscriptions: fc.array(fc.subarray(topicNames, { minLength: 1 }), { minLength: 1, maxLength: 9 }),
  seedPrevious: fc.array(fc.tuple(fc.nat(8), fc.constantFrom(...topicNames), fc.nat(14)), { maxLength: 30 }),
});

function build(s: { counts: number[]; subscriptions: string[][]; seedPrevious: [number, string, number][] }) {
  const counts = new Map(topicNames.map((t, i) => [t, s.counts[i]!]));
  const input: AssignorMember[] = s.subscriptions.map((topics, i) => ({
    id: `m${i}`,
    topics,
    // Arbitrary (even invalid or conflicting) previous assignments: the assignor must cope.
    previous: s.seedPrevious.filter(([m]) => m === i).map(([, topic, partition]) => ({ topic, partition })),
  }));
  return { counts, input };
}

describe("assignTargets properties", () => {
  it("assigns each partition of a subscribed topic exactly once, only to a subscriber", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        // Prepare
        const { counts, input } = build(s);
        // Act
        const result = assignTargets(counts, input);
        // Assess
        const all = [...result.values()].flat().map(partitionId);
        expect(new Set(all).size).toBe(all.length);
        const subscribed = new Set(input.flatMap((m) => m.topics));
        const expected = [...subscribed].reduce((n, t) => n + (counts.get(t) ?? 0), 0);
        expect(all.length).toBe(expected);
        for (const m of input) for (const tp of result.get(m.id)!) expect(m.topics).toContain(tp.topic);
      }),
    );
  });

  it("leaves no member able to take a partition from one holding two or more than it", () => {
    fc.assert(
      fc.property(scenario, (s) => {
        // Prepare
        const { counts, input } = build(s);
        // Act
        const result = assignTargets(counts, input);
        // Assess
        for (const a of input) {
          for (const b of input) {
            const gap = result.get(a.id)!.length - result.get(b.id)!.length;
            if (gap < 2) continue;
            expect(result.get(a.id)!.some((tp) => b.topics.includes(tp.topic))).toBe(false);
          }
        }
      }),
    );
  });

  it("is balanced within one when subscriptions are equal", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 3 }),
        scenario,
        (n, sizes, s) => {
          // Prepare
          const topics = sizes.map((_, i) => topicNames[i]!);
          const counts = new Map(topics.map((t, i) => [t, sizes[i]!]));
          const { input } = build({ ...s, subscriptions: Array.from({ length: n }, () => topics) });
          // Act
          const lengths = [...assignTargets(counts, input).values()].map((l) => l.length);
          // Assess
          expect(Math.max(...lengths) - Math.min(...lengths)).toBeLessThanOrEqual(1);
        },
      ),
    );
  });

  it("is sticky: with equal subscriptions a member keeps min(what it had, floor(P/N)) when others come and go", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 40 }),
        fc.subarray([0, 1, 2, 3, 4, 5, 6, 7]),
        fc.integer({ min: 0, max: 4 }),
        (n, partitions, leavers, joiners) => {
          // Prepare
          const counts = countsOf({ a: partitions });
          const before = assignTargets(counts, members(n, ["a"]));
          const stay = members(n, ["a"], before).filter((_, i) => !leavers.includes(i));
          const next = [
            ...stay,
            ...Array.from({ length: joiners }, (_, j) => ({ id: `new${j}`, topics: ["a"], previous: [] })),
          ];
          if (next.length === 0) return;
          // Act
          const after = assignTargets(counts, next);
          // Assess
          const floor = Math.floor(partitions / next.length);
          for (const m of stay)
            expect(kept(before, after, m.id)).toBeGreaterThanOrEqual(
              Math.min(before.get(m.id)!.length, floor),
            );
          if (joiners === 0)
            for (const m of stay) expect(kept(before, after, m.id)).toBe(before.get(m.id)!.length);
        },
      ),
    );
  });

  it("is stable: assigning again from its own result changes nothing, whatever the member order", () => {
    fc.assert(
      fc.property(scenario, fc.integer(), (s, shuffleSeed) => {
        // Prepare
        const { counts, input } = build(s);
        const first = assignTargets(counts, input);
        const again = input.map((m) => ({ ...m, previous: first.get(m.id)! }));
        const rotated = [
          ...again.slice(Math.abs(shuffleSeed) % again.length),
          ...again.slice(0, Math.abs(shuffleSeed) % again.length),
        ];
        // Act
        const second = assignTargets(counts, rotated);
        // Assess
        for (const m of input) expect(ids(second.get(m.id)!)).toEqual(ids(first.get(m.id)!));
      }),
    );
  });
});
