/**
 * Kafka (classic) groups and HTTP-protocol groups share one namespace of group ids and committed
 * offsets: the HTTP API describes a Kafka group's lag, and one id cannot be active in both
 * protocols at once.
 */
import { describe, expect, it } from "vitest";
import { FloeError } from "../../client/src/errors.js";
import { GroupCoordinator } from "../../functions/src/groups/group-coordinator.js";
import { KafkaGroupError as E } from "../../functions/src/kafka/group-errors.js";
import { fixedPartitions, joinInput, rebalance, SESSION_MS, setup, TestMember } from "./classic-harness.js";

function httpCoordinator(s: ReturnType<typeof setup>) {
  return new GroupCoordinator({
    manifest: s.manifest,
    clock: s.clock,
    partitions: fixedPartitions(4, 100),
  });
}

describe("one namespace of groups for Kafka and HTTP consumers", () => {
  it("an HTTP join of an id Kafka consumers hold is refused with group_protocol_mismatch; describe shows the lag", async () => {
    // Prepare: a Kafka consumer group holding orders, with a commit
    const s = setup();
    const kafka = s.coordinator(0, { partitions: fixedPartitions(4, 100) });
    const http = httpCoordinator(s);
    const a = new TestMember("shared", ["orders"], new Map([["orders", 4]]), "a");
    await rebalance(kafka, s.clock, [a]);
    await a.commit(kafka, [{ topic: "orders", partition: 0, offset: 60 }]);
    // Act / Assess: HTTP join refused, nothing written
    const error = await http.join("shared", { topics: ["orders"] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FloeError);
    expect((error as FloeError).code).toBe("group_protocol_mismatch");
    expect((error as FloeError).status).toBe(409);
    expect(await s.manifest.get("g#shared", "state")).toBeUndefined();
    const described = await http.describe("shared");
    expect(described.state).toBe("stable");
    expect(described.generation).toBe(a.generation);
    expect(described.offsets.find((o) => o.partition === 0)).toMatchObject({ committedOffset: 60, lag: 40 });
    expect(await http.fetchOffsets("shared")).toEqual([
      { topic: "orders", partition: 0, offset: 60, metadata: "" },
    ]);
  });

  it("once the Kafka members are gone the id can be used over HTTP, and then Kafka joins are refused", async () => {
    const s = setup();
    const kafka = s.coordinator(0, { partitions: fixedPartitions(4, 100) });
    const http = httpCoordinator(s);
    const a = new TestMember("shared", ["orders"], new Map([["orders", 4]]), "a");
    await rebalance(kafka, s.clock, [a]);
    await a.commit(kafka, [{ topic: "orders", partition: 1, offset: 7 }]);
    s.clock.advance(SESSION_MS + 1); // a's session ends
    const joined = await http.join("shared", { topics: ["orders"] });
    expect(joined.memberId).toBeTruthy();
    const out = await kafka.joinGroup(joinInput("shared", "", ["orders"], { apiVersion: 3 }));
    expect(out.errorCode).toBe(E.INCONSISTENT_GROUP_PROTOCOL);
    // the offsets committed through Kafka are the HTTP group's
    expect(await http.fetchOffsets("shared")).toEqual([
      { topic: "orders", partition: 1, offset: 7, metadata: "" },
    ]);
  });
});
