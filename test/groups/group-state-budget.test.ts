/**
 * The group state item's byte budget (group-limits.ts stateBytesMax): the worst case the counted
 * limits allow fits it, and a write that would grow the item past it is refused with group_full
 * and limit_bytes (never a 500 from the store), while writes that shrink it still land.
 */
import { describe, expect, it } from "vitest";
import { FloeError } from "../../client/src/errors.js";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { ITEM_BYTES_MAX, itemSizeBytes, numberBytes } from "../../functions/src/adapters/store-rules.js";
import { GroupCoordinator } from "../../functions/src/groups/group-coordinator.js";
import { groupPk } from "../../functions/src/groups/group-keys.js";
import { DEFAULT_GROUP_LIMITS, type GroupLimits } from "../../functions/src/groups/group-limits.js";
import {
  type GroupMember,
  type GroupState,
  stateFromItem,
  stateToItem,
} from "../../functions/src/groups/group-state.js";
import type { PartitionDirectory } from "../../functions/src/groups/partition-directory.js";
import { FakeClock } from "../support/fake-clock.js";

/** A safe integer of the largest DynamoDB size any safe integer has (16 digits, odd exponent). */
const WIDEST = 1_000_000_000_000_001;

describe("group state item budget", () => {
  it("the worst case at the documented limits fits the budget (64 topics of 249 chars, 100 members x 32, 2048 partitions)", () => {
    // Prepare: every name at its longest, every number at its widest, every partition both in a
    // target and revoking (the widest held entry), each under a topic key of its own.
    const limits = DEFAULT_GROUP_LIMITS;
    const topics = Array.from({ length: limits.maxTopicsPerGroup }, (_, t) =>
      `${String(t).padStart(3, "0")}`.padEnd(249, "t"),
    );
    const members: GroupMember[] = Array.from({ length: limits.maxMembers }, (_, i) => ({
      id: `${String(i).padStart(3, "0")}`.padEnd(64, "m"),
      topics: Array.from(
        { length: limits.maxTopicsPerMember },
        (_, k) => topics[(i + k) % topics.length]!,
      ).sort(),
      sessionTimeoutMs: WIDEST,
      leaseExpiresAt: WIDEST,
      epoch: WIDEST,
      joinedAt: WIDEST,
      target: [],
      assigned: [],
      revoking: [],
    }));
    for (let q = 0; q < limits.maxPartitionsPerGroup; q++) {
      const m = q % members.length;
      const topic = topics[(m + Math.floor(q / members.length)) % topics.length]!;
      members[m]!.target.push({ topic, partition: q });
      members[(m + 50) % members.length]!.revoking.push({
        topic,
        partition: q,
        since: WIDEST,
        revokedAt: WIDEST,
      });
    }
    const state: GroupState = {
      name: "g".repeat(249),
      incarnation: "00000000-0000-0000-0000-000000000000",
      epoch: WIDEST,
      createdAt: WIDEST,
      listedUntil: WIDEST,
      members,
      version: 1,
    };
    // Act
    const item = stateToItem(state, limits.retentionMs);
    const bytes = itemSizeBytes(item);
    // Assess
    expect(numberBytes(Number.MAX_SAFE_INTEGER)).toBeLessThanOrEqual(numberBytes(WIDEST));
    expect(bytes).toBeLessThanOrEqual(limits.stateBytesMax);
    expect(limits.stateBytesMax).toBeLessThanOrEqual(ITEM_BYTES_MAX * 0.7);
    expect(stateFromItem(state.name, item).members).toEqual(members.map(sorted));
  });

  it("still reads a state item in the earlier layout (topic names in place of indices)", () => {
    // Prepare
    const item = {
      pk: groupPk("g"),
      sk: "state",
      version: 3,
      data: {
        incarnation: "i",
        epoch: 2,
        created_at: 1,
        listed_until: 0,
        members: [
          {
            id: "m1",
            topics: ["a", "b"],
            session_timeout_ms: 45_000,
            lease_expires_at: 10,
            epoch: 2,
            joined_at: 1,
            target: { a: [0], b: [1] },
            assigned: { a: [[0, 2]] },
            revoking: { b: [[1, 1, 2]] },
          },
        ],
      },
    };
    // Act
    const state = stateFromItem("g", item);
    // Assess
    expect(state.members[0]).toMatchObject({
      topics: ["a", "b"],
      target: [
        { topic: "a", partition: 0 },
        { topic: "b", partition: 1 },
      ],
      assigned: [{ topic: "a", partition: 0, since: 2 }],
      revoking: [{ topic: "b", partition: 1, since: 1, revokedAt: 2 }],
    });
    expect(stateFromItem("g", stateToItem(state, 1000)).members).toEqual(state.members);
  });

  it("refuses the join that would take the item one byte past the budget with group_full and limit_bytes, writing nothing", async () => {
    // Prepare: learn the size after two joins, then replay with the budget at it and one below.
    const sizeAfterTwo = (await twoJoins(DEFAULT_GROUP_LIMITS.stateBytesMax)).bytes;
    // Act
    const atBudget = await twoJoins(sizeAfterTwo);
    const overBudget = await twoJoins(sizeAfterTwo - 1);
    // Assess
    expect(atBudget.second).toBe("joined");
    expect(atBudget.bytes).toBe(sizeAfterTwo);
    expect(overBudget.second).toBeInstanceOf(FloeError);
    expect(overBudget.second).toMatchObject({
      code: "group_full",
      details: { limit_bytes: sizeAfterTwo - 1 },
    });
    expect(overBudget.members).toBe(1);
  });

  it("lets a write that shrinks an item already over the budget land (a leave)", async () => {
    // Prepare: two members joined under a large budget, then the budget drops below the item.
    const { store, clock, ids, bytes } = await twoJoins(DEFAULT_GROUP_LIMITS.stateBytesMax);
    const tight = coordinator(store, clock, { stateBytesMax: bytes - 100 });
    // Act
    await tight.leave("g", ids[1]!);
    // Assess
    const item = await store.get(groupPk("g"), "state");
    expect(stateFromItem("g", item!).members.map((m) => m.id)).toEqual([ids[0]]);
  });
});

function sorted(m: GroupMember): GroupMember {
  const order = (a: { topic: string; partition: number }, b: { topic: string; partition: number }) =>
    a.topic !== b.topic ? (a.topic < b.topic ? -1 : 1) : a.partition - b.partition;
  return { ...m, target: [...m.target].sort(order), revoking: [...m.revoking].sort(order) };
}

const directory: PartitionDirectory = {
  async partitionCounts(topics) {
    return new Map(topics.filter((t) => t.startsWith("topic-")).map((t) => [t, 4]));
  },
  async topicIds(topics) {
    return new Map(topics.filter((t) => t.startsWith("topic-")).map((t) => [t, `id-${t}`]));
  },
  async tail() {
    return { highWatermark: 0, logStartOffset: 0 };
  },
  async offsetForTimestamp() {
    return 0;
  },
};

function coordinator(store: MemoryManifestStore, clock: FakeClock, limits: Partial<GroupLimits>) {
  let n = 0;
  return new GroupCoordinator({
    manifest: store,
    clock,
    partitions: directory,
    limits,
    random: () => 0.5,
    newId: () => `member-${n++}`,
  });
}

async function twoJoins(stateBytesMax: number) {
  const store = new MemoryManifestStore();
  const clock = new FakeClock();
  const groups = coordinator(store, clock, { stateBytesMax });
  const first = await groups.join("g", { topics: ["topic-a"] });
  const second = await groups.join("g", { topics: ["topic-a", "topic-b"] }).then(
    () => "joined" as const,
    (error: unknown) => error,
  );
  const item = await store.get(groupPk("g"), "state");
  const members = stateFromItem("g", item!).members;
  return {
    store,
    clock,
    second,
    ids: members.map((m) => m.id),
    members: members.length,
    bytes: itemSizeBytes(item!),
    first,
  };
}
