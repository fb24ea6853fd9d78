/**
 * The ObjectStore contract: what the engine may rely on from any ObjectStore. Written once, run
 * against the in-memory store and against S3ObjectStore on s3rver (object-store.test.ts), so the
 * fast tests on memory mean the same thing as the slow ones on the stand-in.
 *
 * Keys follow the engine's shape (fixed-width `/`-separated segments): s3rver lists in file-system
 * walk order, which is byte order only for such keys (see functions/src/local/standins.ts).
 */
import { describe, expect, it } from "vitest";
import { ObjectNotFoundError, type ObjectStore } from "../../functions/src/ports/object-store.js";
import { rejectionOf } from "../support/rejection.js";

/** Deterministic pseudo-random bytes (xorshift32), so a failure reproduces byte for byte. */
export function patternBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

async function listAll(store: ObjectStore, prefix: string, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.list(prefix, cursor === undefined ? { limit } : { limit, cursor });
    pages.push(page.objects.map((object) => object.key));
    cursor = page.cursor;
  } while (cursor !== undefined && pages.length < 100);
  return pages;
}

export function objectStoreContract(name: string, makeStore: () => Promise<ObjectStore>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    it.each([
      ["0 bytes", 0],
      ["1 byte", 1],
      ["3 MiB", 3 * 1024 * 1024 + 17],
    ])("round-trips a binary body of %s exactly", async (_label, length) => {
      // Prepare
      const store = await makeStore();
      const body = patternBytes(length, length + 1);
      // Act
      await store.put("seg/00/body", body);
      const read = await store.get("seg/00/body");
      // Assess
      expect(read.byteLength).toBe(length);
      expect(Buffer.from(read).equals(Buffer.from(body))).toBe(true);
    });

    it("serves ranged gets of the first byte, the last byte and a middle slice (end exclusive)", async () => {
      // Prepare
      const store = await makeStore();
      const body = patternBytes(1000, 7);
      await store.put("seg/01/ranged", body);
      // Act
      const first = await store.get("seg/01/ranged", { start: 0, end: 1 });
      const last = await store.get("seg/01/ranged", { start: 999, end: 1000 });
      const middle = await store.get("seg/01/ranged", { start: 250, end: 750 });
      // Assess
      expect([...first]).toEqual([body[0]]);
      expect([...last]).toEqual([body[999]]);
      expect(Buffer.from(middle).equals(Buffer.from(body.subarray(250, 750)))).toBe(true);
    });

    it("refuses a range running past the end of the object instead of returning fewer bytes", async () => {
      // Prepare
      const store = await makeStore();
      await store.put("seg/02/short", patternBytes(10, 3));
      await store.put("seg/02/empty", new Uint8Array(0));
      // Act
      const pastEnd = await rejectionOf(store.get("seg/02/short", { start: 5, end: 11 }));
      const beyond = await rejectionOf(store.get("seg/02/short", { start: 10, end: 12 }));
      const ofEmpty = await rejectionOf(store.get("seg/02/empty", { start: 0, end: 1 }));
      // Assess
      for (const error of [pastEnd, beyond, ofEmpty]) {
        expect(error).toBeInstanceOf(Error);
        expect(error).not.toBeInstanceOf(ObjectNotFoundError);
      }
    });

    it("refuses empty and negative ranges before any request", async () => {
      // Prepare
      const store = await makeStore();
      await store.put("seg/03/any", patternBytes(10, 4));
      // Act
      const empty = await rejectionOf(store.get("seg/03/any", { start: 4, end: 4 }));
      const negative = await rejectionOf(store.get("seg/03/any", { start: -1, end: 4 }));
      // Assess
      expect(empty).toBeInstanceOf(RangeError);
      expect(negative).toBeInstanceOf(RangeError);
    });

    it("throws ObjectNotFoundError for a missing key, whole or ranged", async () => {
      // Prepare
      const store = await makeStore();
      // Act
      const whole = await rejectionOf(store.get("seg/04/missing"));
      const ranged = await rejectionOf(store.get("seg/04/missing", { start: 0, end: 1 }));
      // Assess
      expect(whole).toBeInstanceOf(ObjectNotFoundError);
      expect(ranged).toBeInstanceOf(ObjectNotFoundError);
      expect(ranged).toMatchObject({ key: "seg/04/missing" });
    });

    it("deletes objects, and deleting a missing key is not an error", async () => {
      // Prepare
      const store = await makeStore();
      await store.put("seg/05/doomed", patternBytes(5, 5));
      // Act
      await store.delete("seg/05/doomed");
      await store.delete("seg/05/never-was");
      // Assess
      expect(await rejectionOf(store.get("seg/05/doomed"))).toBeInstanceOf(ObjectNotFoundError);
      expect((await store.list("seg/05/")).objects).toEqual([]);
    });

    it("lists only keys under the prefix, sorted, with sizes and modification times", async () => {
      // Prepare
      const store = await makeStore();
      const before = Date.now();
      await store.put("seg/b/0002", patternBytes(2, 1));
      await store.put("seg/a/0001", patternBytes(1, 1));
      await store.put("seg/b/0001", patternBytes(3, 1));
      await store.put("tmp/b/0001", patternBytes(4, 1));
      // Act
      const page = await store.list("seg/b/");
      // Assess
      expect(page.objects.map(({ key, size }) => ({ key, size }))).toEqual([
        { key: "seg/b/0001", size: 3 },
        { key: "seg/b/0002", size: 2 },
      ]);
      expect(page.cursor).toBeUndefined();
      for (const object of page.objects) {
        // S3 keeps whole seconds; allow for that and for a slow machine.
        expect(object.lastModified).toBeGreaterThanOrEqual(before - 1000);
        expect(object.lastModified).toBeLessThanOrEqual(Date.now() + 1000);
      }
    });

    it("paginates a listing over several pages with a cursor, each key exactly once, in order", async () => {
      // Prepare
      const store = await makeStore();
      const keys = Array.from({ length: 7 }, (_, i) => `seg/pg/${String(i).padStart(4, "0")}`);
      for (const key of [...keys].reverse()) await store.put(key, patternBytes(1, 9));
      await store.put("seg/other/0000", patternBytes(1, 9));
      // Act
      const pages = await listAll(store, "seg/pg/", 3);
      // Assess
      expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
      expect(pages.flat()).toEqual(keys);
    });

    it("lists nothing, with no cursor, under an empty prefix", async () => {
      // Prepare
      const store = await makeStore();
      await store.put("seg/x/0001", patternBytes(1, 1));
      // Act
      const page = await store.list("nothing/here/");
      // Assess
      expect(page).toEqual({ objects: [] });
    });

    it("refuses list limits outside 1..1000", async () => {
      // Prepare
      const store = await makeStore();
      // Act
      const zero = await rejectionOf(store.list("seg/", { limit: 0 }));
      const tooMany = await rejectionOf(store.list("seg/", { limit: 1001 }));
      // Assess
      expect(zero).toBeInstanceOf(RangeError);
      expect(tooMany).toBeInstanceOf(RangeError);
    });

    it("overwrites on put to an existing key: nothing in the store protects a key, uniqueness is the writer's job", async () => {
      // Prepare
      const store = await makeStore();
      await store.put("seg/06/dup", patternBytes(8, 1));
      const second = patternBytes(5, 2);
      // Act
      await store.put("seg/06/dup", second);
      // Assess
      expect([...(await store.get("seg/06/dup"))]).toEqual([...second]);
    });

    it("keeps stored bytes apart from the caller's buffers (no aliasing in or out)", async () => {
      // Prepare
      const store = await makeStore();
      const body = patternBytes(16, 11);
      const original = [...body];
      await store.put("seg/07/alias", body);
      // Act
      body.fill(0);
      const firstRead = await store.get("seg/07/alias");
      firstRead.fill(1);
      const secondRead = await store.get("seg/07/alias");
      // Assess
      expect([...secondRead]).toEqual(original);
    });
  });
}
