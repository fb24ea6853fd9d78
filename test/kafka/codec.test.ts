/**
 * The codec against an independent peer: kafkajs's own request encoders produce the bytes, our
 * table-driven decoder reads them, and our encoder must give back the very same bytes. Then every
 * supported version of every message (flexible ones included, which kafkajs does not speak)
 * round-trips a value generated from the schema itself.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { decodeBody, encodeBody, type Message } from "../../functions/src/kafka/codec/codec.js";
import { isFlexible, readRequestHeader } from "../../functions/src/kafka/codec/headers.js";
import { KafkaDecodeError, KafkaWriter } from "../../functions/src/kafka/codec/primitives.js";
import { type Field, inRange } from "../../functions/src/kafka/codec/schema.js";
import { SCHEMAS } from "../../functions/src/kafka/codec/schemas/index.js";

const require = createRequire(import.meta.url);

interface KafkajsRequest {
  apiKey: number;
  apiVersion: number;
  encode(): Promise<{ buffer: Buffer }>;
}

function kafkajs(api: string, version: number, args: unknown): KafkajsRequest {
  const build = require(`kafkajs/src/protocol/requests/${api}/v${version}/request.js`) as (
    a: unknown,
  ) => KafkajsRequest;
  return build(args);
}

const Long = require("kafkajs/src/utils/long.js") as { fromNumber(n: number): unknown };

interface Fixture {
  api: string;
  versions: number[];
  args: unknown;
  expect: (m: Message, version: number) => void;
}

const FIXTURES: Fixture[] = [
  { api: "apiVersions", versions: [0, 1, 2], args: {}, expect: () => {} },
  {
    api: "metadata",
    versions: [0, 1, 2, 3, 4, 5, 6],
    args: { topics: ["orders", "payments"], allowAutoTopicCreation: false },
    expect: (m, v) => {
      expect((m.topics as { name: string }[]).map((t) => t.name)).toEqual(["orders", "payments"]);
      expect(m.allowAutoTopicCreation).toBe(v < 4);
    },
  },
  {
    api: "produce",
    versions: [3, 4, 5, 6, 7],
    args: {
      acks: -1,
      timeout: 30_000,
      producerId: Long.fromNumber(42),
      producerEpoch: 3,
      topicData: [
        {
          topic: "orders",
          partitions: [
            { partition: 2, firstSequence: 7, messages: [{ key: "k", value: "v", timestamp: 1_000 }] },
          ],
        },
      ],
    },
    expect: (m) => {
      expect(m.acks).toBe(-1);
      expect(m.timeoutMs).toBe(30_000);
      const topic = (m.topicData as Message[])[0]!;
      expect(topic.name).toBe("orders");
      const part = (topic.partitionData as Message[])[0]!;
      expect(part.index).toBe(2);
      expect((part.records as Uint8Array).byteLength).toBeGreaterThan(61);
    },
  },
  {
    api: "fetch",
    versions: [4, 5, 6, 7, 8, 9, 10, 11],
    args: {
      replicaId: -1,
      maxWaitTime: 500,
      minBytes: 1,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [{ topic: "orders", partitions: [{ partition: 1, fetchOffset: "12", maxBytes: 4096 }] }],
    },
    expect: (m) => {
      expect(m.maxWaitMs).toBe(500);
      const p = ((m.topics as Message[])[0]!.partitions as Message[])[0]!;
      expect(p).toMatchObject({ partition: 1, fetchOffset: 12, partitionMaxBytes: 4096 });
    },
  },
  {
    api: "listOffsets",
    versions: [1, 2, 3],
    args: {
      replicaId: -1,
      isolationLevel: 1,
      topics: [{ topic: "orders", partitions: [{ partition: 0, timestamp: -2 }] }],
    },
    expect: (m) => {
      const p = ((m.topics as Message[])[0]!.partitions as Message[])[0]!;
      expect(p).toMatchObject({ partitionIndex: 0, timestamp: -2 });
    },
  },
  {
    api: "findCoordinator",
    versions: [0, 1, 2],
    args: { groupId: "g1", coordinatorKey: "g1", coordinatorType: 0 },
    expect: (m) => expect(m.key).toBe("g1"),
  },
  {
    api: "joinGroup",
    versions: [0, 1, 2, 3, 4, 5],
    args: {
      groupId: "g1",
      sessionTimeout: 30_000,
      rebalanceTimeout: 60_000,
      memberId: "",
      protocolType: "consumer",
      groupProtocols: [{ name: "RoundRobinAssigner", metadata: Buffer.from([1, 2, 3]) }],
    },
    expect: (m) => {
      expect(m).toMatchObject({ groupId: "g1", sessionTimeoutMs: 30_000, protocolType: "consumer" });
      expect((m.protocols as Message[])[0]!.name).toBe("RoundRobinAssigner");
    },
  },
  {
    api: "syncGroup",
    versions: [0, 1, 2, 3],
    args: {
      groupId: "g1",
      generationId: 4,
      memberId: "m1",
      groupAssignment: [{ memberId: "m1", memberAssignment: Buffer.from([9]) }],
    },
    expect: (m) => expect(m).toMatchObject({ groupId: "g1", generationId: 4, memberId: "m1" }),
  },
  {
    api: "heartbeat",
    versions: [0, 1, 2, 3],
    args: { groupId: "g1", groupGenerationId: 4, memberId: "m1" },
    expect: (m) => expect(m).toMatchObject({ groupId: "g1", generationId: 4, memberId: "m1" }),
  },
  {
    api: "leaveGroup",
    versions: [0, 1, 2, 3],
    args: { groupId: "g1", memberId: "m1", members: [{ memberId: "m1" }] },
    expect: (m, v) => {
      if (v < 3) expect(m.memberId).toBe("m1");
      else expect((m.members as Message[])[0]!.memberId).toBe("m1");
    },
  },
  {
    api: "offsetCommit",
    versions: [2, 3, 4, 5],
    args: {
      groupId: "g1",
      groupGenerationId: 4,
      memberId: "m1",
      retentionTime: -1,
      topics: [{ topic: "orders", partitions: [{ partition: 0, offset: "17" }] }],
    },
    expect: (m) => {
      const p = ((m.topics as Message[])[0]!.partitions as Message[])[0]!;
      expect(p).toMatchObject({ partitionIndex: 0, committedOffset: 17 });
    },
  },
  {
    api: "offsetFetch",
    versions: [1, 2, 3, 4],
    args: { groupId: "g1", topics: [{ topic: "orders", partitions: [{ partition: 0 }] }] },
    expect: (m) => expect((m.topics as Message[])[0]!.partitionIndexes).toEqual([0]),
  },
  {
    api: "describeGroups",
    versions: [0, 1, 2],
    args: { groupIds: ["g1", "g2"] },
    expect: (m) => expect(m.groups).toEqual(["g1", "g2"]),
  },
  { api: "listGroups", versions: [0, 1, 2], args: {}, expect: () => {} },
  {
    api: "createTopics",
    versions: [0, 1, 2, 3],
    args: {
      topics: [
        {
          topic: "orders",
          numPartitions: 3,
          replicationFactor: 1,
          configEntries: [{ name: "retention.ms", value: "1000" }],
        },
      ],
      timeout: 5_000,
      validateOnly: false,
    },
    expect: (m) => {
      const t = (m.topics as Message[])[0]!;
      expect(t).toMatchObject({ name: "orders", numPartitions: 3, replicationFactor: 1 });
      expect(t.configs).toEqual([{ name: "retention.ms", value: "1000" }]);
    },
  },
  {
    api: "deleteTopics",
    versions: [0, 1],
    args: { topics: ["orders"], timeout: 5_000 },
    expect: (m) => expect(m.topicNames).toEqual(["orders"]),
  },
  {
    api: "initProducerId",
    versions: [0, 1],
    args: { transactionalId: null, transactionTimeout: 30_000 },
    expect: (m) => expect(m).toMatchObject({ transactionalId: null, transactionTimeoutMs: 30_000 }),
  },
  {
    api: "describeConfigs",
    versions: [0, 1, 2],
    args: { resources: [{ type: 2, name: "orders", configNames: ["retention.ms"] }], includeSynonyms: false },
    expect: (m) =>
      expect((m.resources as Message[])[0]).toMatchObject({
        resourceType: 2,
        resourceName: "orders",
        configurationKeys: ["retention.ms"],
      }),
  },
  {
    api: "createPartitions",
    versions: [0, 1],
    args: { topicPartitions: [{ topic: "orders", count: 6 }], timeout: 5_000, validateOnly: false },
    expect: (m) => expect((m.topics as Message[])[0]).toMatchObject({ name: "orders", count: 6 }),
  },
  {
    api: "alterConfigs",
    versions: [0, 1],
    args: {
      resources: [{ type: 2, name: "orders", configEntries: [{ name: "retention.ms", value: "1000" }] }],
      validateOnly: false,
    },
    expect: (m) =>
      expect((m.resources as Message[])[0]).toMatchObject({
        resourceName: "orders",
        configs: [{ name: "retention.ms", value: "1000" }],
      }),
  },
  {
    api: "deleteGroups",
    versions: [0, 1],
    args: ["g1"],
    expect: (m) => expect(m.groupsNames).toEqual(["g1"]),
  },
];

describe("decoding kafkajs's request encodings", () => {
  for (const fixture of FIXTURES) {
    for (const version of fixture.versions) {
      it(`${fixture.api} v${version}: decodes and re-encodes byte for byte`, async () => {
        // Prepare
        const request = kafkajs(fixture.api, version, fixture.args);
        const body = new Uint8Array((await request.encode()).buffer);
        const schema = SCHEMAS.get(request.apiKey)!;
        expect(schema, `no schema for api key ${request.apiKey}`).toBeDefined();
        expect(inRange(schema.versions, version)).toBe(true);
        // Act
        const decoded = decodeBody(body, 0, schema.request, version, isFlexible(schema, version));
        const again = encodeBody(schema.request, decoded, version, isFlexible(schema, version));
        // Assess
        fixture.expect(decoded, version);
        expect(Buffer.from(again).equals(Buffer.from(body))).toBe(true);
      });
    }
  }

  it("reads the request header kafkajs writes", async () => {
    const encodeRequest = require("kafkajs/src/protocol/request.js") as (
      a: unknown,
    ) => Promise<{ buffer: Buffer }>;
    const framed = await encodeRequest({
      correlationId: 77,
      clientId: "kafkajs-fixture",
      request: kafkajs("metadata", 4, { topics: ["a"] }),
    });
    const frame = new Uint8Array(framed.buffer).subarray(4);
    const { header } = readRequestHeader(frame);
    expect(header).toEqual({ apiKey: 3, apiVersion: 4, correlationId: 77, clientId: "kafkajs-fixture" });
  });
});

/** A value for every field, different from its default, so the tagged fields are written too. */
function sample(fields: readonly Field[], version: number, seed: number): Message {
  const out: Message = {};
  fields.forEach((f, i) => {
    if (!inRange(f.versions, version)) return;
    const n = seed + i;
    const one = (): unknown => {
      if (typeof f.type !== "string") return sample(f.type, version, n * 7);
      switch (f.type) {
        case "bool":
          return true;
        case "string":
          return `s${n}-ü`;
        case "uuid":
          return "0123abcd-0000-4000-8000-00000000000" + (n % 10);
        case "bytes":
        case "records":
          return Uint8Array.of(n % 256, 1, 2);
        case "int8":
          return (n % 100) + 1;
        case "int64":
          return 2 ** 40 + n;
        default:
          return n + 1;
      }
    };
    out[f.name] = f.array ? [one(), one()] : one();
  });
  return out;
}

describe("every supported version round-trips", () => {
  for (const schema of SCHEMAS.values()) {
    for (let v = schema.versions.min; v <= schema.versions.max; v++) {
      for (const side of ["request", "response"] as const) {
        it(`${schema.name} v${v} ${side}`, () => {
          const fields = schema[side];
          const flexible = isFlexible(schema, v);
          const value = sample(fields, v, 3);
          const bytes = encodeBody(fields, value, v, flexible);
          const decoded = decodeBody(bytes, 0, fields, v, flexible);
          expect(decoded).toMatchObject(value);
          expect(Buffer.from(encodeBody(fields, decoded, v, flexible)).equals(Buffer.from(bytes))).toBe(true);
        });
      }
    }
  }

  it("skips unknown tagged fields and rejects truncated ones", () => {
    const schema = SCHEMAS.get(18)!; // ApiVersions v3: flexible
    const w = new KafkaWriter().string("floe-test", true).string("1.0", true);
    w.uvarint(1).uvarint(42).uvarint(2).raw(Uint8Array.of(7, 7)); // tag 42, 2 bytes
    const decoded = decodeBody(w.finish(), 0, schema.request, 3, true);
    expect(decoded).toEqual({ clientSoftwareName: "floe-test", clientSoftwareVersion: "1.0" });
    const truncated = new KafkaWriter().string("x", true).string("y", true).uvarint(1).uvarint(0).uvarint(9);
    expect(() => decodeBody(truncated.finish(), 0, schema.request, 3, true)).toThrow(KafkaDecodeError);
  });

  it("refuses lengths and counts that run past the frame", () => {
    const metadata = SCHEMAS.get(3)!;
    const huge = new KafkaWriter().int32(1_000_000_000).finish();
    expect(() => decodeBody(huge, 0, metadata.request, 1, false)).toThrow(KafkaDecodeError);
    const longString = new KafkaWriter().int32(1).int16(500).finish();
    expect(() => decodeBody(longString, 0, metadata.request, 1, false)).toThrow(KafkaDecodeError);
  });
});
