/**
 * The ManifestStore contract: what the commit protocol may rely on from any ManifestStore. Written
 * once, run against the in-memory store and against DynamoManifestStore on dynalite
 * (manifest-store.test.ts).
 *
 * The two CANARY tests prove the store really enforces conditions under concurrency: without them
 * a permissive emulator (one that ignores ConditionExpression) would let every other test of the
 * commit protocol pass vacuously.
 */
import { describe, expect, it } from "vitest";
import { ITEM_BYTES_MAX, itemSizeBytes } from "../../functions/src/adapters/store-rules.js";
import {
  ConditionFailedError,
  ItemTooLargeError,
  type ManifestItem,
  type ManifestStore,
  type QueryOptions,
} from "../../functions/src/ports/manifest-store.js";
import { rejectionOf } from "../support/rejection.js";

const CONCURRENT_WRITERS = 16;

function item(pk: string, sk: string, version: number, data: ManifestItem["data"] = {}): ManifestItem {
  return { pk, sk, version, data };
}

function entrySk(offset: number): string {
  return `e#${String(offset).padStart(20, "0")}`;
}

async function putEntries(store: ManifestStore, pk: string, offsets: number[]): Promise<void> {
  for (const offset of offsets) await store.put(item(pk, entrySk(offset), 1, { offset }), { kind: "none" });
}

/** Follows cursors to the end; a full last page may be followed by one empty page (DynamoDB). */
async function queryAll(store: ManifestStore, pk: string, options: QueryOptions): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.query(pk, cursor === undefined ? options : { ...options, cursor });
    pages.push(page.items.map((entry) => entry.sk));
    cursor = page.cursor;
  } while (cursor !== undefined && pages.length < 100);
  return pages;
}

/** An item of exactly `bytes` DynamoDB bytes, padded with `unit` (whose UTF-8 size divides the padding). */
function itemOfSize(pk: string, bytes: number, unit = "x"): ManifestItem {
  const base: ManifestItem = {
    pk,
    sk: "big",
    version: 1,
    expiresAt: 1_900_000_000,
    data: { n: 42, pad: "" },
  };
  const room = bytes - itemSizeBytes(base);
  const unitBytes = Buffer.byteLength(unit, "utf8");
  const pad = unit.repeat(Math.floor(room / unitBytes)) + "x".repeat(room % unitBytes);
  const out = { ...base, data: { n: 42, pad } };
  expect(itemSizeBytes(out)).toBe(bytes);
  return out;
}

function settle(results: PromiseSettledResult<void>[]) {
  const won = results.filter((result) => result.status === "fulfilled").length;
  const lost = results.filter(
    (result) => result.status === "rejected" && result.reason instanceof ConditionFailedError,
  ).length;
  return { won, lost, other: results.length - won - lost };
}

export function manifestStoreContract(name: string, makeStore: () => Promise<ManifestStore>): void {
  describe(`ManifestStore contract: ${name}`, () => {
    it("returns undefined for a missing item", async () => {
      // Prepare
      const store = await makeStore();
      // Act
      const got = await store.get("p#missing", "head");
      // Assess
      expect(got).toBeUndefined();
    });

    it("round-trips pk, sk, version, expiresAt and nested data exactly", async () => {
      // Prepare
      const store = await makeStore();
      const written: ManifestItem = {
        pk: "p#t1#0",
        sk: "head",
        version: 7,
        expiresAt: 1_900_000_000,
        data: {
          nextOffset: 2 ** 52,
          maxSafe: Number.MAX_SAFE_INTEGER,
          minSafe: Number.MIN_SAFE_INTEGER,
          zero: 0,
          ratio: 0.1,
          negative: -3.25,
          segment: "ab12/00000000000000000042-7f",
          unicode: "ünïcødé ✓ 😀 中文",
          empty: "",
          yes: true,
          no: false,
          nothing: null,
          emptyMap: {},
          emptyList: [],
          producers: { "42": { epoch: 3, lastSeq: 99, offsets: [1, 2, 3] } },
          mixed: [1, "two", false, null, { three: [3] }, []],
        },
      };
      // Act
      await store.put(written, { kind: "none" });
      const read = await store.get("p#t1#0", "head");
      // Assess
      expect(read).toStrictEqual(written);
    });

    it("normalises what DynamoDB cannot keep: undefined members vanish, -0 reads back as 0", async () => {
      // Prepare
      const store = await makeStore();
      const data = { gone: undefined, list: [1, undefined, 2], negativeZero: -0 };
      // Act
      await store.put(item("p#norm", "head", 1, data), { kind: "none" });
      const read = await store.get("p#norm", "head");
      // Assess
      expect(read?.data).toStrictEqual({ list: [1, 2], negativeZero: 0 });
      expect(Object.is(read?.data.negativeZero, 0)).toBe(true);
    });

    it.each([
      ["NaN", Number.NaN],
      ["Infinity", Number.POSITIVE_INFINITY],
      ["an unsafe integer", 2 ** 53 + 2],
      ["a Date", new Date(0)],
      ["a bigint", 1n],
      ["a lone surrogate", "\ud800"],
      ["a Map", new Map()],
    ])("refuses data holding %s, writing nothing", async (_label, value) => {
      // Prepare
      const store = await makeStore();
      // Act
      const error = await rejectionOf(
        store.put(item("p#bad", "head", 1, { nested: { value } }), { kind: "none" }),
      );
      // Assess
      expect(error).toBeInstanceOf(TypeError);
      expect(await store.get("p#bad", "head")).toBeUndefined();
    });

    it("stores bytes as a binary value and reads them back as a Uint8Array, sized by their length", async () => {
      // Prepare: commit records are one binary attribute (engine/commit-record.ts).
      const store = await makeStore();
      const bytes = new Uint8Array([0, 1, 2, 255, 128]);
      // Act
      await store.put(item("p#bin", "c#1", 1, { r: bytes }), { kind: "absent" });
      bytes[0] = 9; // the store kept its own copy
      const read = await store.get("p#bin", "c#1");
      // Assess
      expect(read?.data.r).toBeInstanceOf(Uint8Array);
      expect([...(read!.data.r as Uint8Array)]).toEqual([0, 1, 2, 255, 128]);
      expect(itemSizeBytes(item("p#bin", "c#1", 1, { r: bytes }))).toBe(
        itemSizeBytes(item("p#bin", "c#1", 1, { r: "" })) + 5,
      );
    });

    it("keeps stored data apart from the caller's objects (no aliasing in or out)", async () => {
      // Prepare
      const store = await makeStore();
      const data = { list: [1, 2], map: { a: 1 } };
      await store.put(item("p#alias", "head", 1, data), { kind: "none" });
      // Act
      data.list.push(3);
      data.map.a = 2;
      const first = await store.get("p#alias", "head");
      (first!.data.list as number[]).push(4);
      const second = await store.get("p#alias", "head");
      // Assess
      expect(second?.data).toStrictEqual({ list: [1, 2], map: { a: 1 } });
    });

    it("absent condition: creates a missing item, then refuses to overwrite it", async () => {
      // Prepare
      const store = await makeStore();
      // Act
      await store.put(item("p#new", "head", 1, { who: "first" }), { kind: "absent" });
      const second = await rejectionOf(
        store.put(item("p#new", "head", 1, { who: "second" }), { kind: "absent" }),
      );
      // Assess
      expect(second).toBeInstanceOf(ConditionFailedError);
      expect(second).toMatchObject({ pk: "p#new", sk: "head" });
      expect((await store.get("p#new", "head"))?.data).toEqual({ who: "first" });
    });

    it("version condition: succeeds on the current version, fails on a stale one and on a missing item", async () => {
      // Prepare
      const store = await makeStore();
      await store.put(item("p#cas", "head", 1, { next: 10 }), { kind: "absent" });
      // Act
      await store.put(item("p#cas", "head", 2, { next: 15 }), { kind: "version", version: 1 });
      const stale = await rejectionOf(
        store.put(item("p#cas", "head", 2, { next: 12 }), { kind: "version", version: 1 }),
      );
      const missing = await rejectionOf(
        store.put(item("p#none", "head", 2, {}), { kind: "version", version: 1 }),
      );
      // Assess
      expect(stale).toBeInstanceOf(ConditionFailedError);
      expect(missing).toBeInstanceOf(ConditionFailedError);
      expect(await store.get("p#cas", "head")).toStrictEqual(item("p#cas", "head", 2, { next: 15 }));
      expect(await store.get("p#none", "head")).toBeUndefined();
    });

    it("conditional delete: refuses a stale version and keeps the item, deletes on the current one", async () => {
      // Prepare
      const store = await makeStore();
      await store.put(item("p#del", "e#1", 3, { keep: true }), { kind: "none" });
      // Act
      const stale = await rejectionOf(store.delete("p#del", "e#1", { kind: "version", version: 2 }));
      const keptAfterStale = await store.get("p#del", "e#1");
      await store.delete("p#del", "e#1", { kind: "version", version: 3 });
      // Assess
      expect(stale).toBeInstanceOf(ConditionFailedError);
      expect(keptAfterStale?.version).toBe(3);
      expect(await store.get("p#del", "e#1")).toBeUndefined();
    });

    it("delete: a missing item is fine unconditionally or with absent, but fails a version condition", async () => {
      // Prepare
      const store = await makeStore();
      // Act
      await store.delete("p#gone", "head");
      await store.delete("p#gone", "head", { kind: "absent" });
      const versioned = await rejectionOf(store.delete("p#gone", "head", { kind: "version", version: 1 }));
      // Assess
      expect(versioned).toBeInstanceOf(ConditionFailedError);
      expect(await store.get("p#gone", "head")).toBeUndefined();
    });

    it("queries one partition key in sort-key order with gte, lte, both, and prefix", async () => {
      // Prepare
      const store = await makeStore();
      await putEntries(store, "p#q", [5, 1, 4, 2, 3]);
      await store.put(item("p#q", "head", 1), { kind: "none" });
      await store.put(item("p#other", entrySk(3), 1), { kind: "none" });
      // Act
      const all = await store.query("p#q");
      const gte = await store.query("p#q", { gte: entrySk(3), lte: entrySk(Number.MAX_SAFE_INTEGER) });
      const from = await store.query("p#q", { gte: entrySk(4) });
      const upTo = await store.query("p#q", { lte: entrySk(2) });
      const prefix = await store.query("p#q", { prefix: "e#" });
      // Assess
      const sks = (page: { items: ManifestItem[] }) => page.items.map((entry) => entry.sk);
      expect(sks(all)).toEqual([1, 2, 3, 4, 5].map(entrySk).concat("head"));
      expect(sks(gte)).toEqual([3, 4, 5].map(entrySk));
      expect(sks(from)).toEqual([entrySk(4), entrySk(5), "head"]);
      expect(sks(upTo)).toEqual([1, 2].map(entrySk));
      expect(sks(prefix)).toEqual([1, 2, 3, 4, 5].map(entrySk));
      expect(all.cursor).toBeUndefined();
      expect(all.items[0]).toStrictEqual(item("p#q", entrySk(1), 1, { offset: 1 }));
    });

    it("orders sort keys by their UTF-8 bytes, as DynamoDB does (not by UTF-16 code units)", async () => {
      // Prepare: "\uff5e" sorts after the surrogate pair of "😀" in UTF-16, before it in UTF-8.
      const store = await makeStore();
      const sks = ["k#😀", "k#\uff5e", "k#z", "k#A", "k#é"];
      for (const sk of sks) await store.put(item("p#utf8", sk, 1), { kind: "none" });
      // Act
      const page = await store.query("p#utf8", { prefix: "k#" });
      // Assess
      const byUtf8 = [...sks].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect(page.items.map((entry) => entry.sk)).toEqual(byUtf8);
      expect(byUtf8).toEqual(["k#A", "k#z", "k#é", "k#\uff5e", "k#😀"]);
    });

    it("queries in reverse: highest sort key first", async () => {
      // Prepare
      const store = await makeStore();
      await putEntries(store, "p#rev", [1, 2, 3, 4]);
      // Act
      const latest = await store.query("p#rev", { prefix: "e#", reverse: true, limit: 1 });
      const below = await store.query("p#rev", { lte: entrySk(3), reverse: true });
      // Assess
      expect(latest.items.map((entry) => entry.sk)).toEqual([entrySk(4)]);
      expect(below.items.map((entry) => entry.sk)).toEqual([3, 2, 1].map(entrySk));
    });

    it.each([
      ["forward", false],
      ["reverse", true],
    ])(
      "paginates %s with limit and cursor: every item once, in order, pages no larger than limit",
      async (_label, reverse) => {
        // Prepare
        const store = await makeStore();
        const offsets = Array.from({ length: 10 }, (_, i) => i * 10);
        await putEntries(store, "p#pages", offsets);
        // Act
        const pages = await queryAll(store, "p#pages", {
          gte: entrySk(10),
          lte: entrySk(80),
          limit: 3,
          reverse,
        });
        // Assess
        const expected = [10, 20, 30, 40, 50, 60, 70, 80].map(entrySk);
        expect(pages.flat()).toEqual(reverse ? expected.reverse() : expected);
        expect(pages.slice(0, 3).map((page) => page.length)).toEqual([3, 3, 2]);
        expect(pages.every((page) => page.length <= 3)).toBe(true);
      },
    );

    it("gives a cursor on a full page; following it past the end yields an empty page without one", async () => {
      // Prepare
      const store = await makeStore();
      await putEntries(store, "p#exact", [1, 2]);
      // Act
      const pages = await queryAll(store, "p#exact", { limit: 2 });
      // Assess (DynamoDB returns LastEvaluatedKey whenever Limit is reached, even at the end)
      expect(pages.flat()).toEqual([1, 2].map(entrySk));
      expect(pages.slice(1).every((page) => page.length === 0)).toBe(true);
    });

    it("continues past a cursor whose item was deleted between pages", async () => {
      // Prepare
      const store = await makeStore();
      await putEntries(store, "p#moving", [1, 2, 3, 4]);
      const first = await store.query("p#moving", { limit: 2 });
      // Act
      await store.delete("p#moving", entrySk(2));
      const rest = await store.query("p#moving", { limit: 5, cursor: first.cursor! });
      // Assess
      expect(rest.items.map((entry) => entry.sk)).toEqual([3, 4].map(entrySk));
    });

    it("refuses key conditions DynamoDB cannot express, and cursors from another partition key", async () => {
      // Prepare
      const store = await makeStore();
      await putEntries(store, "p#a", [1, 2]);
      const page = await store.query("p#a", { limit: 1 });
      // Act
      const mixed = await rejectionOf(store.query("p#a", { prefix: "e#", gte: entrySk(1) }));
      const inverted = await rejectionOf(store.query("p#a", { gte: entrySk(2), lte: entrySk(1) }));
      const zeroLimit = await rejectionOf(store.query("p#a", { limit: 0 }));
      const foreignCursor = await rejectionOf(store.query("p#b", { cursor: page.cursor! }));
      // Assess
      expect(mixed).toBeInstanceOf(TypeError);
      expect(inverted).toBeInstanceOf(RangeError);
      expect(zeroLimit).toBeInstanceOf(RangeError);
      expect(foreignCursor).toBeInstanceOf(TypeError);
    });

    it("stores an item of exactly 400 KB and refuses one byte more with ItemTooLargeError, writing nothing", async () => {
      // Prepare
      const store = await makeStore();
      const atLimit = itemOfSize("p#size", ITEM_BYTES_MAX);
      const overLimit = itemOfSize("p#size-over", ITEM_BYTES_MAX + 1);
      // Act
      await store.put(atLimit, { kind: "absent" });
      const refused = await rejectionOf(store.put(overLimit, { kind: "none" }));
      // Assess
      expect(await store.get("p#size", "big")).toStrictEqual(atLimit);
      expect(refused).toBeInstanceOf(ItemTooLargeError);
      expect(refused).toMatchObject({ pk: "p#size-over", sk: "big", limitBytes: ITEM_BYTES_MAX });
      expect(await store.get("p#size-over", "big")).toBeUndefined();
    });

    it("counts strings and member names in UTF-8 bytes, as DynamoDB does (not UTF-16 units)", async () => {
      // Prepare: 3-byte characters, so the item is 400 KB + 1 in UTF-8 but a third of that in UTF-16.
      const store = await makeStore();
      const atLimit = itemOfSize("p#utf8", ITEM_BYTES_MAX, "中");
      const overLimit = itemOfSize("p#utf8-over", ITEM_BYTES_MAX + 1, "中");
      const named: ManifestItem = {
        pk: "p#names",
        sk: "big",
        version: 1,
        data: { ["é".repeat(1000)]: true },
      };
      // Act
      await store.put(atLimit, { kind: "none" });
      const refused = await rejectionOf(store.put(overLimit, { kind: "none" }));
      // Assess
      expect((await store.get("p#utf8", "big"))?.data.pad).toBe(atLimit.data.pad);
      expect(refused).toBeInstanceOf(ItemTooLargeError);
      expect(itemSizeBytes(named)).toBe(
        "pk".length + 7 + "sk".length + 3 + "v".length + 2 + "d".length + 3 + 1 + 2000 + 1,
      );
    });

    it("refuses an oversized item before its condition: a failed condition is not reported for it", async () => {
      // Prepare
      const store = await makeStore();
      await store.put(item("p#size-cond", "big", 1, {}), { kind: "absent" });
      const overLimit = { ...itemOfSize("p#size-cond", ITEM_BYTES_MAX + 1), version: 2 };
      // Act
      const refused = await rejectionOf(store.put(overLimit, { kind: "version", version: 7 }));
      // Assess
      expect(refused).toBeInstanceOf(ItemTooLargeError);
      expect(await store.get("p#size-cond", "big")).toStrictEqual(item("p#size-cond", "big", 1, {}));
    });

    it("refuses empty and over-long keys: pk 1..2048 bytes, sk 1..1024 bytes", async () => {
      // Prepare
      const store = await makeStore();
      const pkMax = `p#${"k".repeat(2046)}`;
      const skMax = "s".repeat(1024);
      // Act
      await store.put(item(pkMax, skMax, 1), { kind: "none" });
      const refusals = await Promise.all([
        rejectionOf(store.put(item(`${pkMax}k`, "head", 1), { kind: "none" })),
        rejectionOf(store.put(item("p#k", `${skMax}s`, 1), { kind: "none" })),
        rejectionOf(store.put(item("", "head", 1), { kind: "none" })),
        rejectionOf(store.put(item("p#k", "", 1), { kind: "none" })),
      ]);
      // Assess
      expect((await store.get(pkMax, skMax))?.version).toBe(1);
      expect(refusals.map((error) => error instanceof RangeError || error instanceof TypeError)).toEqual([
        true,
        true,
        true,
        true,
      ]);
    });

    it(`CANARY: of ${CONCURRENT_WRITERS} concurrent compare-and-set writers expecting the same version, exactly one wins`, async () => {
      // Prepare
      const store = await makeStore();
      await store.put(item("p#race", "head", 1, { next: 0 }), { kind: "absent" });
      // Act
      const results = await Promise.allSettled(
        Array.from({ length: CONCURRENT_WRITERS }, (_, writer) =>
          store.put(item("p#race", "head", 2, { next: 10, writer }), { kind: "version", version: 1 }),
        ),
      );
      // Assess
      expect(settle(results)).toEqual({ won: 1, lost: CONCURRENT_WRITERS - 1, other: 0 });
      const winner = results.findIndex((result) => result.status === "fulfilled");
      expect(await store.get("p#race", "head")).toStrictEqual(
        item("p#race", "head", 2, { next: 10, writer: winner }),
      );
    });

    it(`CANARY: of ${CONCURRENT_WRITERS} concurrent creators of one missing item, exactly one wins`, async () => {
      // Prepare
      const store = await makeStore();
      // Act
      const results = await Promise.allSettled(
        Array.from({ length: CONCURRENT_WRITERS }, (_, writer) =>
          store.put(item("p#create", "head", 1, { writer }), { kind: "absent" }),
        ),
      );
      // Assess
      expect(settle(results)).toEqual({ won: 1, lost: CONCURRENT_WRITERS - 1, other: 0 });
      const winner = results.findIndex((result) => result.status === "fulfilled");
      expect((await store.get("p#create", "head"))?.data).toEqual({ writer: winner });
    });
  });
}
