/**
 * Idempotent producer state is never evicted to make room (a forgotten producer's lost-response
 * retry would be written twice, and any client could evict anyone): past the bounds a NEW
 * producer is refused with `producer_limit`; only producers idle past the TTL expire, as in Kafka.
 */
import { describe, expect, it } from "vitest";
import { ERROR_TABLE } from "../../../client/src/errors.js";
import type { PartitionAppend, ProducerStamp } from "../../../functions/src/engine/append-types.js";
import {
  DEFAULT_PLAN_LIMITS,
  DEFAULT_PRODUCER_LIMITS,
  type PlacedAppend,
  type PlanLimits,
  planCommit,
  producerBytesMax,
} from "../../../functions/src/engine/commit-plan.js";
import { emptyHead, type PartitionHead, type TopicMeta } from "../../../functions/src/engine/model.js";
import { DEFAULT_TOPIC_CONFIG } from "../../../functions/src/engine/topic-config.js";

const topic: TopicMeta = {
  name: "t",
  topicId: "id",
  partitions: 1,
  config: DEFAULT_TOPIC_CONFIG,
  createdAt: 0,
  version: 1,
};

function placed(producer: ProducerStamp, pos = 0): PlacedAppend {
  const append: PartitionAppend = {
    topic,
    partition: 0,
    payload: new Uint8Array(100),
    recordCount: 1,
    batchCount: 1,
    firstTimestamp: 1,
    maxTimestamp: 1,
    producer,
  };
  return { append, pos, len: 100 };
}

const stamp = (id: string, firstSequence = 0, epoch = 0): ProducerStamp => ({ id, epoch, firstSequence });

/** A head remembering producers p0..p(n-1), each with one batch (p_i at offset i), written at `nowMs`. */
function headWith(n: number, nowMs = 1_000, limits: PlanLimits = DEFAULT_PLAN_LIMITS): PartitionHead {
  let head = emptyHead("id", 0);
  for (let i = 0; i < n; i++) {
    const plan = planCommit(head, [placed(stamp(`p${i}`))], "seg", nowMs, limits);
    expect(plan.outcomes[0]).toMatchObject({ ok: true, baseOffset: i });
    head = plan.nextHead!;
  }
  return head;
}

describe("producer state bounds", () => {
  it("refuses a 65th producer with producer_limit, changes nothing, and keeps the 64 known ones", () => {
    // Prepare
    const max = DEFAULT_PRODUCER_LIMITS.maxProducersPerPartition;
    const head = headWith(max);
    // Act
    const newcomer = planCommit(head, [placed(stamp("newcomer"))], "seg", 2_000);
    const oldRetry = planCommit(head, [placed(stamp("p0"))], "seg", 2_000);
    // Assess: refused, retriable, side-effect free, naming the limit; no head write.
    expect(newcomer.nextHead).toBeUndefined();
    const outcome = newcomer.outcomes[0]!;
    expect(outcome).toMatchObject({ ok: false, error: { code: "producer_limit", retriable: true } });
    if (!outcome.ok) {
      expect(outcome.error.details.limit_producers).toBe(max);
      expect(outcome.error.sideEffectFree).toBe(true);
      expect(outcome.error.message).toContain(`${max} producers`);
    }
    expect(ERROR_TABLE.producer_limit).toEqual({ status: 409, retriable: true, side_effect_free: true });
    // The oldest producer's lost-response retry still gets its original offsets: no duplicate.
    expect(oldRetry.outcomes[0]).toEqual({ ok: true, baseOffset: 0, lastOffset: 0, duplicate: true });
    expect(head.producers.size).toBe(max);
  });

  it("still lets a known producer continue, and admits a new one in the same flush once another expires", () => {
    // Prepare: 64 producers at t=1000; the TTL passes for all but p63, which writes again later.
    const ttl = DEFAULT_PRODUCER_LIMITS.producerStateTtlMs;
    let head = headWith(DEFAULT_PRODUCER_LIMITS.maxProducersPerPartition);
    head = planCommit(head, [placed(stamp("p63", 1))], "seg", 1_000 + ttl).nextHead!;
    // Act: past p0..p62's TTL (not p63's), a newcomer is admitted and the idle ones are forgotten.
    const plan = planCommit(head, [placed(stamp("newcomer"))], "seg", 1_000 + ttl + 1);
    // Assess
    expect(plan.outcomes[0]).toMatchObject({ ok: true, duplicate: false });
    expect([...plan.nextHead!.producers.keys()].sort()).toEqual(["newcomer", "p63"]);
  });

  it("forgets a producer idle past producerStateTtlMs (Kafka's producer.id.expiration.ms)", () => {
    // Prepare
    const ttl = DEFAULT_PRODUCER_LIMITS.producerStateTtlMs;
    const head = headWith(1, 0);
    // Act: at exactly the TTL it is still known; one millisecond later it is not.
    const atTtl = planCommit(head, [placed(stamp("p0"))], "seg", ttl);
    const pastTtl = planCommit(head, [placed(stamp("p0"))], "seg", ttl + 1);
    // Assess: a retry of sequence 0 is a duplicate while known, a fresh producer once forgotten.
    expect(atTtl.outcomes[0]).toMatchObject({ ok: true, duplicate: true });
    expect(pastTtl.outcomes[0]).toMatchObject({ ok: true, duplicate: false, baseOffset: 1 });
  });

  it("bounds producer state in bytes, counting each producer at its worst case", () => {
    // Prepare: room for exactly three worst-case producers of these ids.
    const limits: PlanLimits = {
      producer: { ...DEFAULT_PRODUCER_LIMITS, producerStateBytesMax: 3 * producerBytesMax("p0") },
    };
    const head = headWith(3, 1_000, limits);
    // Act
    const fourth = planCommit(head, [placed(stamp("p3"))], "seg", 2_000, limits);
    const known = planCommit(head, [placed(stamp("p1", 1))], "seg", 2_000, limits);
    // Assess
    expect(fourth.outcomes[0]).toMatchObject({
      ok: false,
      error: { code: "producer_limit", details: { limit_bytes: limits.producer.producerStateBytesMax } },
    });
    expect(known.outcomes[0]).toMatchObject({ ok: true, duplicate: false });
  });

  it("keys producers by a Map: ids naming Object.prototype members are ordinary producers", () => {
    // Prepare
    let head = emptyHead("id", 0);
    const ids = ["constructor", "toString", "hasOwnProperty", "valueOf"];
    // Act
    for (const id of ids) head = planCommit(head, [placed(stamp(id))], "seg", 0).nextHead!;
    const retries = ids.map((id) => planCommit(head, [placed(stamp(id))], "seg", 0).outcomes[0]);
    const proto = planCommit(head, [placed(stamp("__proto__"))], "seg", 0);
    // Assess
    expect(retries).toEqual(ids.map((_, i) => ({ ok: true, baseOffset: i, lastOffset: i, duplicate: true })));
    expect(proto.outcomes[0]).toMatchObject({ ok: false, error: { code: "invalid_request" } });
  });
});
