/** The counting forwarder's DynamoDB arithmetic: item sizes, write/read units, request pricing. */
import { describe, expect, it } from "vitest";
import { expectedTouched, linearFit } from "../../../bench/lib/cost-math.js";
import {
  type Counts,
  countDynamo,
  diff,
  emptyCounts,
  s3Operation,
} from "../../../bench/lib/counting-proxy.js";
import { itemBytes, numberBytes, readUnits, writeUnits } from "../../../bench/lib/dynamo-units.js";
import { PRICES, requestDollars } from "../../../bench/lib/prices.js";

const empty = (): Counts => emptyCounts();

describe("DynamoDB item size on the wire", () => {
  it("numbers: base-100 digits plus one (as the guide and dynalite count)", () => {
    expect(numberBytes("0")).toBe(1);
    expect(numberBytes("12")).toBe(2);
    expect(numberBytes("123")).toBe(3);
    expect(numberBytes("1.2")).toBe(3);
    expect(numberBytes("-12")).toBe(3);
  });

  it("agrees with the engine's own size rule (store-rules itemSizeBytes gives 91 for this item)", () => {
    const wire = {
      pk: { S: "t#topic#0" },
      sk: { S: "head" },
      v: { N: "42" },
      d: {
        M: {
          next: { N: "120" },
          segments: { L: [{ S: "a/b" }, { S: "c" }] },
          producers: { M: { p1: { M: { seq: { N: "7" }, epoch: { N: "0" } } } } },
          open: { BOOL: true },
          x: { NULL: true },
        },
      },
    };
    // 91 is what store-rules' itemSizeBytes computes for the same item in the engine's terms
    // ({ pk, sk, version: 42, data: { next: 120, segments, producers, open: true, x: null } }).
    expect(itemBytes(wire)).toBe(91);
  });

  it("units: 1 KiB per write unit, 4 KiB per strong read unit, half for eventual", () => {
    expect(writeUnits(1)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(readUnits(4096, true)).toBe(1);
    expect(readUnits(4097, true)).toBe(2);
    expect(readUnits(100, false)).toBe(0.5);
    expect(readUnits(0, true)).toBe(1);
  });
});

describe("countDynamo", () => {
  it("prices a PutItem by its decoded item and counts a failed condition", () => {
    const c = empty();
    const item = { pk: { S: "p" }, sk: { S: "s" }, d: { S: "x".repeat(2000) } };
    const body = Buffer.from(JSON.stringify({ TableName: "t", Item: item }));
    countDynamo(c, "DynamoDB_20120810.PutItem", body, 200, Buffer.from("{}"));
    expect(c.writeUnits).toBe(2); // 2 + 1 + 2 + 1 + 1 + 2000 = 2007 bytes
    expect(c.itemBytesWritten).toBe(2007);
    const failed = Buffer.from(
      JSON.stringify({ __type: "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException" }),
    );
    countDynamo(c, "DynamoDB_20120810.PutItem", body, 400, failed);
    expect(c.conditionalFailures).toBe(1);
    expect(c.writeUnits).toBe(4); // a failed conditional write is still charged
    expect(c.ops.get("PutItem")).toEqual({ count: 2, bytes: 2 * body.length });
  });

  it("prices reads by the items returned and the ConsistentRead flag", () => {
    const c = empty();
    const big = { pk: { S: "p" }, d: { S: "y".repeat(5000) } };
    countDynamo(
      c,
      "DynamoDB_20120810.GetItem",
      Buffer.from('{"ConsistentRead":true}'),
      200,
      Buffer.from(JSON.stringify({ Item: big })),
    );
    countDynamo(
      c,
      "DynamoDB_20120810.Query",
      Buffer.from("{}"),
      200,
      Buffer.from(JSON.stringify({ Items: [big, big] })),
    );
    expect(c.strongReads).toBe(1);
    expect(c.eventualReads).toBe(1);
    expect(c.readUnits).toBe(2 + 1.5); // strong 5 KB -> 2; eventual 10 KB -> 3 / 2
    const later = structuredClone(c);
    countDynamo(later, "DynamoDB_20120810.GetItem", Buffer.from("{}"), 200, Buffer.from("{}"));
    const delta = diff(later, c);
    expect(delta).toMatchObject({ readUnits: 0.5, eventualReads: 1 });
    expect([...delta.ops]).toEqual([["GetItem", { count: 1, bytes: 2 }]]);
  });
});

describe("S3 operations and request dollars", () => {
  it("names path-style operations", () => {
    expect(s3Operation("PUT", "/bucket/seg/a%2Fb?x-id=PutObject")).toEqual({
      op: "PutObject",
      key: "seg/a/b",
    });
    expect(s3Operation("GET", "/bucket/k")).toEqual({ op: "GetObject", key: "k" });
    expect(s3Operation("GET", "/bucket?list-type=2&prefix=x").op).toBe("ListObjects");
    expect(s3Operation("PUT", "/bucket").op).toBe("PUTBucket");
  });

  it("multiplies counts by list prices", () => {
    expect(requestDollars({ s3Puts: 1000, s3Gets: 0, writeUnits: 0, readUnits: 0 })).toBeCloseTo(0.005, 10);
    expect(requestDollars({ s3Puts: 0, s3Gets: 0, writeUnits: 1e6, readUnits: 1e6 })).toBeCloseTo(0.75, 10);
    expect(PRICES.s3Get.usd * 1000).toBeCloseTo(0.0004, 10);
  });
});

describe("cost model arithmetic", () => {
  it("partitions touched: all of few partitions, fewer of many than records", () => {
    expect(expectedTouched(1, 500)).toBe(1);
    expect(expectedTouched(16, 640)).toBeCloseTo(16, 6);
    expect(expectedTouched(256, 256)).toBeCloseTo(256 * (1 - (255 / 256) ** 256), 9); // ≈ 162
    expect(expectedTouched(256, 3277)).toBeCloseTo(256, 0);
  });

  it("fits writes per flush = a + b·T exactly on the protocol's line", () => {
    const { a, b } = linearFit([
      [1, 2.2],
      [16, 32.2],
      [256, 512.2],
    ]);
    expect(a).toBeCloseTo(0.2, 9);
    expect(b).toBeCloseTo(2, 9);
    expect(linearFit([[4, 8]])).toEqual({ a: 0, b: 2 });
  });
});
