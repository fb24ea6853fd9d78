/**
 * The group state machine alone (pure): the incremental handover, expiry, fencing of generations,
 * and a model-based property: honest members driven by random joins, heartbeats (some of whose
 * replies are lost), slow releases, crashes, leaves and time never hold a partition twice, and the
 * group settles once the churn stops.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FloeError } from "../../client/src/errors.js";
import { partitionId, type TopicPartition } from "../../functions/src/groups/assignment.js";
import { type GroupState, newGroupState } from "../../functions/src/groups/group-state.js";
import { applyHeartbeat, applyJoin, applyLeave, reconcile } from "../../functions/src/groups/reconcile.js";

const COUNTS = new Map([
  ["a", 4],
  ["b", 2],
]);
const TIMEOUT = 3_000;

function member(state: GroupState, id: string) {
  const m = state.members.find((x) => x.id === id);
  if (!m) throw new Error(`no member ${id}`);
  return m;
}

const pids = (tps: readonly TopicPartition[]) => tps.map(partitionId).sort();

function joined(ids: string[], now = 0): GroupState {
  let state = newGroupState("g", "inc", now);
  for (const id of ids)
    state = applyJoin(state, { memberId: id, topics: ["a", "b"], sessionTimeoutMs: TIMEOUT }, now, COUNTS);
  return state;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof FloeError) return error.code;
    throw error;
  }
  return undefined;
}

describe("reconcile: handover", () => {
  it("does not grant a partition to a newcomer until its holder releases it", () => {
    // Prepare
    const one = joined(["A"]);
    const a = member(one, "A");
    expect(pids(a.assigned)).toHaveLength(6);
    // Act: B joins; A has not heartbeated yet.
    const two = applyJoin(one, { memberId: "B", topics: ["a", "b"], sessionTimeoutMs: TIMEOUT }, 10, COUNTS);
    // Assess
    const bTarget = pids(member(two, "B").target);
    expect(bTarget).toHaveLength(3);
    expect(member(two, "B").assigned).toEqual([]);
    expect(pids(member(two, "A").revoking)).toEqual(bTarget);
    expect(member(two, "A").epoch).toBe(two.epoch);
  });

  it("grants the partition in the same write as the heartbeat that releases it", () => {
    // Prepare
    const two = applyJoin(
      joined(["A"]),
      { memberId: "B", topics: ["a", "b"], sessionTimeoutMs: TIMEOUT },
      10,
      COUNTS,
    );
    const a = member(two, "A");
    // Act: A learnt the revocation (generation = its epoch) and lists only what it keeps.
    const three = applyHeartbeat(two, { memberId: "A", generation: a.epoch, owned: a.assigned }, 20, COUNTS);
    // Assess
    expect(member(three, "A").revoking).toEqual([]);
    expect(pids(member(three, "B").assigned)).toEqual(pids(member(three, "B").target));
    expect(member(three, "B").assigned.every((h) => h.since === three.epoch)).toBe(true);
  });

  it("does not take a heartbeat from before the revocation as a release", () => {
    // Prepare
    const two = applyJoin(
      joined(["A"]),
      { memberId: "B", topics: ["a", "b"], sessionTimeoutMs: TIMEOUT },
      10,
      COUNTS,
    );
    const a = member(two, "A");
    // Act: a delayed heartbeat sent at the old generation, listing nothing (A had not started yet).
    const three = applyHeartbeat(two, { memberId: "A", generation: a.epoch - 1, owned: [] }, 20, COUNTS);
    // Assess
    expect(pids(member(three, "A").revoking)).toEqual(pids(member(two, "A").revoking));
    expect(member(three, "B").assigned).toEqual([]);
  });

  it("frees an expired member's partitions on the next operation", () => {
    // Prepare
    const two = applyJoin(
      joined(["A"]),
      { memberId: "B", topics: ["a", "b"], sessionTimeoutMs: TIMEOUT },
      10,
      COUNTS,
    );
    // Act: A never answers; B heartbeats after A's lease ended.
    const b = member(two, "B");
    const later = applyHeartbeat(two, { memberId: "B", generation: b.epoch, owned: [] }, TIMEOUT + 1, COUNTS);
    // Assess
    expect(later.members.map((m) => m.id)).toEqual(["B"]);
    expect(pids(member(later, "B").assigned)).toHaveLength(6);
    expect(
      codeOf(() => applyHeartbeat(later, { memberId: "A", generation: 1, owned: [] }, TIMEOUT + 2, COUNTS)),
    ).toBe("member_not_found");
  });

  it("frees a leaver's partitions at once", () => {
    // Prepare
    const state = applyHeartbeat(
      applyJoin(joined(["A"]), { memberId: "B", topics: ["a", "b"], sessionTimeoutMs: TIMEOUT }, 10, COUNTS),
      { memberId: "A", generation: 2, owned: [] },
      20,
      COUNTS,
    );
    // Act
    const left = applyLeave(state, "A", 30, COUNTS);
    // Assess
    expect(pids(member(left, "B").assigned)).toHaveLength(6);
    expect(left.epoch).toBeGreaterThan(state.epoch);
  });

  it("fences a generation that was never issued", () => {
    // Prepare
    const state = joined(["A"]);
    // Act
    const code = codeOf(() =>
      applyHeartbeat(state, { memberId: "A", generation: state.epoch + 5, owned: [] }, 1, COUNTS),
    );
    // Assess
    expect(code).toBe("stale_generation");
  });

  it("gives a revoked partition straight back, with its original grant, when the target returns it", () => {
    // Prepare: B joins (A must give up 3), then B expires before A released anything.
    const two = applyJoin(
      joined(["A"]),
      { memberId: "B", topics: ["a", "b"], sessionTimeoutMs: 1_000 },
      10,
      COUNTS,
    );
    const before = member(two, "A");
    // Act
    const back = reconcile(two, 1_500, COUNTS);
    // Assess
    const a = member(back, "A");
    expect(a.revoking).toEqual([]);
    expect(pids(a.assigned)).toHaveLength(6);
    const sinceBefore = new Map(
      [...before.assigned, ...before.revoking].map((h) => [partitionId(h), h.since]),
    );
    for (const h of a.assigned) expect(h.since).toBe(sinceBefore.get(partitionId(h)));
  });

  it("follows a topic that grows and one that vanishes", () => {
    // Prepare
    const state = joined(["A"]);
    const a = member(state, "A");
    // Act
    const grown = applyHeartbeat(
      state,
      { memberId: "A", generation: a.epoch, owned: a.assigned },
      5,
      new Map([
        ["a", 6],
        ["b", 2],
      ]),
    );
    const gone = applyHeartbeat(
      grown,
      { memberId: "A", generation: member(grown, "A").epoch, owned: member(grown, "A").assigned },
      6,
      new Map([["a", 6]]),
    );
    // Assess
    expect(pids(member(grown, "A").assigned)).toEqual([
      "a#0",
      "a#1",
      "a#2",
      "a#3",
      "a#4",
      "a#5",
      "b#0",
      "b#1",
    ]);
    expect(pids(member(gone, "A").assigned)).toEqual(["a#0", "a#1", "a#2", "a#3", "a#4", "a#5"]);
    expect(pids(member(gone, "A").revoking)).toEqual(["b#0", "b#1"]);
  });

  it("changes nothing, not even the epoch, when nothing happened", () => {
    // Prepare
    const state = joined(["A", "B"]);
    const settled = applyHeartbeat(
      state,
      { memberId: "A", generation: member(state, "A").epoch, owned: member(state, "A").assigned },
      5,
      COUNTS,
    );
    const again = applyHeartbeat(
      settled,
      { memberId: "B", generation: member(settled, "B").epoch, owned: member(settled, "B").assigned },
      6,
      COUNTS,
    );
    // Act
    const idle = reconcile(again, 7, COUNTS);
    // Assess
    expect(idle.epoch).toBe(again.epoch);
    expect(idle.members.map((m) => m.epoch)).toEqual(again.members.map((m) => m.epoch));
  });
});

// ---- model-based property -----------------------------------------------------------------------

interface Client {
  id: string;
  generation: number;
  /** What it holds (including partitions it is still finishing after a revocation). */
  owned: Set<string>;
  /** Revoked partitions still held, with the heartbeats left before it lets go. */
  releasing: Map<string, number>;
  deadline: number;
  alive: boolean;
}

type Op =
  | { kind: "join"; topics: string[]; lost: boolean }
  | { kind: "beat"; who: number; lost: boolean; delays: number[] }
  | { kind: "crash"; who: number }
  | { kind: "leave"; who: number }
  | { kind: "advance"; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("join" as const),
      topics: fc.subarray(["a", "b"], { minLength: 1 }),
      lost: fc.boolean(),
    }),
  },
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("beat" as const),
      who: fc.nat(20),
      lost: fc.integer({ min: 0, max: 9 }).map((n) => n < 3),
      delays: fc.array(fc.nat(2), { minLength: 6, maxLength: 6 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("crash" as const), who: fc.nat(20) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("leave" as const), who: fc.nat(20) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 1, max: 1_500 }) }),
  },
);

function toTps(ids: Iterable<string>): TopicPartition[] {
  return [...ids].map((id) => {
    const [topic, p] = id.split("#");
    return { topic: topic!, partition: Number(p) };
  });
}

/** Applies one op; an honest client drops everything the moment it learns its lease is gone. */
function step(world: { state: GroupState; now: number; clients: Client[]; next: number }, op: Op): void {
  const live = world.clients.filter((c) => c.alive);
  const pick = (who: number) => live[who % Math.max(1, live.length)];
  const dropIfExpired = (c: Client) => {
    if (world.now >= c.deadline) c.alive = false;
  };
  switch (op.kind) {
    case "advance":
      world.now += op.ms;
      for (const c of live) dropIfExpired(c);
      return;
    case "join": {
      const id = `m${world.next++}`;
      const sent = world.now;
      world.state = applyJoin(
        world.state,
        { memberId: id, topics: op.topics, sessionTimeoutMs: TIMEOUT },
        world.now,
        COUNTS,
      );
      if (op.lost) return; // the member never hears of it; its lease will run out
      const m = member(world.state, id);
      world.clients.push({
        id,
        generation: m.epoch,
        owned: new Set(pids(m.assigned)),
        releasing: new Map(),
        deadline: sent + TIMEOUT,
        alive: true,
      });
      return;
    }
    case "crash": {
      const c = pick(op.who);
      if (c) c.alive = false;
      return;
    }
    case "leave": {
      const c = pick(op.who);
      if (!c) return;
      c.alive = false; // stops holding anything first, then leaves
      try {
        world.state = applyLeave(world.state, c.id, world.now, COUNTS);
      } catch (error) {
        if (!(error instanceof FloeError)) throw error;
      }
      return;
    }
    case "beat": {
      const c = pick(op.who);
      if (!c) return;
      dropIfExpired(c);
      if (!c.alive) return;
      for (const [id, left] of c.releasing) {
        if (left > 0) c.releasing.set(id, left - 1);
        else {
          c.releasing.delete(id);
          c.owned.delete(id);
        }
      }
      const sent = world.now;
      try {
        world.state = applyHeartbeat(
          world.state,
          { memberId: c.id, generation: c.generation, owned: toTps(c.owned) },
          world.now,
          COUNTS,
        );
      } catch (error) {
        if (!(error instanceof FloeError)) throw error;
        c.alive = false;
        return;
      }
      if (op.lost) return;
      const m = member(world.state, c.id);
      c.generation = m.epoch;
      c.deadline = sent + TIMEOUT;
      const assigned = new Set(pids(m.assigned));
      let i = 0;
      for (const id of c.owned)
        if (!assigned.has(id) && !c.releasing.has(id))
          c.releasing.set(id, op.delays[i++ % op.delays.length]!);
      for (const id of assigned) {
        c.owned.add(id);
        c.releasing.delete(id);
      }
    }
  }
}

function assertNoDoubleHolder(clients: readonly Client[], now: number): void {
  const seen = new Map<string, string>();
  for (const c of clients) {
    if (!c.alive || now >= c.deadline) continue;
    for (const id of c.owned) {
      const other = seen.get(id);
      if (other !== undefined) throw new Error(`${id} held by ${other} and ${c.id} at ${now}`);
      seen.set(id, c.id);
    }
  }
}

describe("reconcile: model-based", () => {
  it("never lets two live members hold a partition, and settles once the churn stops", () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 1, maxLength: 80 }), (ops) => {
        // Prepare
        const world = { state: newGroupState("g", "inc", 0), now: 0, clients: [] as Client[], next: 0 };
        // Act + Assess: after every step.
        for (const op of ops) {
          step(world, op);
          assertNoDoubleHolder(world.clients, world.now);
        }
        // Settle: every live member heartbeats (replies arrive) for three lease lengths, so members
        // that never heard of their own join (lost replies) expire too.
        for (let round = 0; round < 12; round++) {
          for (let who = 0; who < world.clients.length; who++)
            step(world, { kind: "beat", who, lost: false, delays: [0] });
          world.now += TIMEOUT / 4;
          assertNoDoubleHolder(world.clients, world.now);
        }
        const live = world.state.members.filter((m) => world.now < m.leaseExpiresAt);
        for (const m of live) {
          expect(m.revoking).toEqual([]);
          expect(pids(m.assigned)).toEqual(pids(m.target));
        }
        const covered = new Set(live.flatMap((m) => m.topics));
        const expected = [...covered].reduce((n, t) => n + COUNTS.get(t)!, 0);
        expect(live.flatMap((m) => m.assigned)).toHaveLength(expected);
      }),
      { numRuns: 300 },
    );
  });
});
