/**
 * The partition head has a byte budget (PlanLimits.headBytesMax, far below DynamoDB's 400 KB item
 * limit): a plan stops before the accepted append whose entry would push the head past it, and the
 * committer plans the rest on the next head. Sizes are DynamoDB's (item-size.ts).
 */
import { describe, expect, it } from "vitest";
import type { PartitionAppend } from "../../../functions/src/engine/append-types.js";
import {
  checkPlanLimits,
  DEFAULT_PLAN_LIMITS,
  type PlacedAppend,
  type PlanLimits,
  planCommit,
} from "../../../functions/src/engine/commit-plan.js";
import {
  DYNAMODB_ITEM_BYTES_MAX,
  manifestItemBytes,
  numberBytes,
  valueBytes,
} from "../../../functions/src/engine/item-size.js";
import { emptyHead, headToItem, type TopicMeta } from "../../../functions/src/engine/model.js";
import { DEFAULT_TOPIC_CONFIG } from "../../../functions/src/engine/topic-config.js";

const topic: TopicMeta = {
  name: "t",
  topicId: "id",
  partitions: 1,
  config: DEFAULT_TOPIC_CONFIG,
  createdAt: 0,
  version: 1,
};

/**
 * `n` appends alternating accepted / refused (match_offset mismatch): each accepted one is its own
 * run. With `withProducers`, the first 20 accepted ones are idempotent producers of their own.
 */
function alternating(n: number, withProducers = false): PlacedAppend[] {
  return Array.from({ length: n }, (_, i) => {
    const append: PartitionAppend = {
      topic,
      partition: 0,
      payload: new Uint8Array(50),
      recordCount: 1,
      batchCount: 1,
      firstTimestamp: i,
      maxTimestamp: i,
      ...(i % 2 === 1 ? { matchOffset: 1_000_000 } : {}),
      ...(withProducers && i % 2 === 0 && i < 40
        ? { producer: { id: `w${i}`, epoch: 0, firstSequence: 0 } }
        : {}),
    };
    return { append, pos: i * 50, len: 50 };
  });
}

const limitsOf = (headBytesMax: number): PlanLimits => ({ ...DEFAULT_PLAN_LIMITS, headBytesMax });

describe("DynamoDB item sizes", () => {
  it("follows the documented rules for strings, numbers, booleans, lists and maps", () => {
    expect(valueBytes("héllo")).toBe(6); // UTF-8 bytes
    expect(valueBytes("😀")).toBe(4);
    // Base-100 digit pairs aligned on the decimal point, plus one (store-rules.ts numberBytes, as
    // dynalite computes): 0 is 1 byte, 120 is "01" "20" = 3 bytes.
    expect([numberBytes(0), numberBytes(7), numberBytes(12), numberBytes(123), numberBytes(1200)]).toEqual([
      1, 2, 2, 3, 2,
    ]);
    expect(numberBytes(120)).toBe(3);
    expect(numberBytes(-1)).toBe(3); // one more byte when negative
    expect(numberBytes(Number.MAX_SAFE_INTEGER)).toBe(9);
    expect([valueBytes(true), valueBytes(null)]).toEqual([1, 1]);
    expect(valueBytes([])).toBe(3);
    expect(valueBytes([1, "ab"])).toBe(3 + (1 + 2) + (1 + 2));
    expect(valueBytes({ ab: 1 })).toBe(3 + 1 + 2 + 2);
    // item: pk, sk, v, d attribute names + values
    expect(manifestItemBytes({ pk: "p", sk: "s", version: 1, data: {} })).toBe(2 + 1 + 2 + 1 + 1 + 2 + 1 + 3);
  });
});

describe("the head's byte budget", () => {
  it("keeps an exact running size: the plan's headBytes is the serialised head's size", () => {
    const plan = planCommit(emptyHead("id", 0), alternating(401, true), "seg-key", 5_000);
    expect(plan.outcomes).toHaveLength(401);
    expect(plan.headBytes).toBe(manifestItemBytes(headToItem(plan.nextHead!)));
  });

  it("cuts a plan whose head would be just over the budget, and not one just under", () => {
    // Prepare: the exact size of the head holding every run.
    const placed = alternating(201, true);
    const whole = planCommit(emptyHead("id", 0), placed, "seg-key", 5_000);
    const bytes = whole.headBytes;
    // Act
    const atBudget = planCommit(emptyHead("id", 0), placed, "seg-key", 5_000, limitsOf(bytes));
    const overBudget = planCommit(emptyHead("id", 0), placed, "seg-key", 5_000, limitsOf(bytes - 1));
    // Assess: at the budget nothing is cut; one byte less and the last run waits for the next head.
    expect(atBudget.outcomes).toHaveLength(201);
    expect(atBudget.headBytes).toBe(bytes);
    expect(overBudget.outcomes).toHaveLength(200); // the last accepted append (index 200) is not planned
    expect(overBudget.headBytes).toBeLessThanOrEqual(bytes - 1);
    expect(overBudget.headBytes).toBe(manifestItemBytes(headToItem(overBudget.nextHead!)));
    expect(overBudget.nextHead!.pending).toHaveLength(100);
  });

  it("plans the rest on the next head: offsets stay dense and every append gets one outcome", () => {
    // Prepare: 3,001 alternating appends under the default budget (one head for all would be too big).
    const placed = alternating(3_001);
    let head = emptyHead("id", 0);
    const outcomes = [];
    let writes = 0;
    // Act: what the committer does, one head write after another.
    for (let rest = placed; rest.length > 0; ) {
      const plan = planCommit(head, rest, "seg-key", 5_000);
      if (plan.nextHead) {
        writes++;
        expect(manifestItemBytes(headToItem(plan.nextHead))).toBeLessThanOrEqual(
          DEFAULT_PLAN_LIMITS.headBytesMax,
        );
        head = plan.nextHead;
      }
      outcomes.push(...plan.outcomes);
      rest = rest.slice(plan.outcomes.length);
    }
    // Assess
    expect(writes).toBeGreaterThan(1);
    expect(outcomes).toHaveLength(3_001);
    const accepted = outcomes.filter((o) => o.ok).map((o) => (o.ok ? o.baseOffset : -1));
    expect(accepted).toEqual(Array.from({ length: 1_501 }, (_, k) => k));
    expect(outcomes.filter((o) => !o.ok)).toHaveLength(1_500);
    expect(head.nextOffset).toBe(1_501);
  });

  it("refuses limits where one entry beside a full producer map would not fit, or past DynamoDB's limit", () => {
    expect(() => checkPlanLimits(DEFAULT_PLAN_LIMITS)).not.toThrow();
    expect(() => checkPlanLimits(limitsOf(DYNAMODB_ITEM_BYTES_MAX + 1))).toThrow(RangeError);
    expect(() => checkPlanLimits(limitsOf(DEFAULT_PLAN_LIMITS.producer.producerStateBytesMax))).toThrow(
      RangeError,
    );
  });
});
