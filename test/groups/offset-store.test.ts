/** The offset items' fences on their own: who may commit, and which grant wins. */
import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { OffsetStore } from "../../functions/src/groups/offset-store.js";
import { FakeClock } from "../support/fake-clock.js";

const p0 = { topic: "orders", partition: 0 };
const fenceOf = (member: string, since: number, incarnation = "i1") => ({ incarnation, member, since });

function store() {
  return new OffsetStore(new MemoryManifestStore(), new FakeClock(), 60_000);
}

describe("OffsetStore fences", () => {
  it("lets a later grant's fence replace an earlier one, never the reverse", async () => {
    // Prepare
    const offsets = store();
    await offsets.ensureFence("g", p0, fenceOf("A", 3));
    // Act
    const later = await offsets.ensureFence("g", p0, fenceOf("C", 12));
    const late = await offsets.ensureFence("g", p0, fenceOf("B", 8));
    const again = await offsets.ensureFence("g", p0, fenceOf("C", 12));
    // Assess
    expect([later, late, again]).toEqual(["fenced", "superseded", "fenced"]);
    expect((await offsets.read("g", p0))?.fence).toEqual(fenceOf("C", 12));
  });

  it("replaces a fence of an earlier incarnation of the group whatever its epoch", async () => {
    // Prepare
    const offsets = store();
    await offsets.ensureFence("g", p0, fenceOf("A", 90, "old"));
    // Act
    const outcome = await offsets.ensureFence("g", p0, fenceOf("B", 2, "new"));
    // Assess
    expect(outcome).toBe("fenced");
    expect((await offsets.read("g", p0))?.fence).toEqual(fenceOf("B", 2, "new"));
  });

  it("commits only under the fence it names, keeping the offset when fenced out", async () => {
    // Prepare
    const offsets = store();
    await offsets.ensureFence("g", p0, fenceOf("A", 3));
    await offsets.commit("g", p0, fenceOf("A", 3), 10, "", await offsets.read("g", p0), "t1");
    await offsets.ensureFence("g", p0, fenceOf("B", 5));
    // Act
    const zombie = await offsets.commit("g", p0, fenceOf("A", 3), 50, "", await offsets.read("g", p0), "t1");
    // Assess
    expect(zombie).toBe("fenced");
    expect((await offsets.read("g", p0))?.offset).toBe(10);
  });

  it("refuses a reset once a member was granted the partition after the group was seen inactive", async () => {
    // Prepare
    const offsets = store();
    await offsets.ensureFence("g", p0, fenceOf("B", 10));
    // Act
    const refused = await offsets.reset("g", p0, "i1", 9, 0, "t1");
    const allowed = await offsets.reset("g", p0, "i1", 10, 0, "t1");
    // Assess
    expect(refused).toBe("active");
    expect(allowed).toBe("reset");
    expect((await offsets.read("g", p0))?.offset).toBe(0);
  });
});
