import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  decodeRecordBatches,
  encodeRecordBatch,
  type Lz4Backend,
  setLz4Backend,
  splitBatches,
} from "../../../client/src/format/index.js";
import { expectedRecords, normalized } from "./arbitraries.js";
import { FIXTURE_CASES } from "./fixtures/cases.js";

const load = (name: string) =>
  new Uint8Array(readFileSync(new URL(`./fixtures/${name}.bin`, import.meta.url)));

afterEach(() => setLz4Backend("auto"));

describe("kafkajs byte fixtures", () => {
  it.each(FIXTURE_CASES.filter((c) => c.byteExact).map((c) => [c.name, c] as const))(
    "encodes %s to exactly kafkajs's bytes",
    (_name, fixture) => {
      // Prepare
      const expected = load(fixture.name);

      // Act
      const actual = encodeRecordBatch(fixture.input);

      // Assess
      expect(Buffer.from(actual).toString("hex")).toBe(Buffer.from(expected).toString("hex"));
    },
  );

  for (const backend of ["native", "js"] as Lz4Backend[]) {
    it.each(FIXTURE_CASES.map((c) => [c.name, c] as const))(
      `decodes %s back to its input (lz4: ${backend})`,
      (_name, fixture) => {
        // Prepare
        setLz4Backend(backend);
        const bytes = load(fixture.name);

        // Act
        const batches = decodeRecordBatches(bytes);
        const split = splitBatches(bytes);

        // Assess
        expect(batches).toHaveLength(1);
        const header = batches[0]!.header;
        expect(normalized(batches[0]!.records)).toEqual(expectedRecords(fixture.input));
        expect(header.compression).toBe(fixture.input.compression ?? "none");
        expect([header.producerId, header.producerEpoch, header.baseSequence]).toEqual([
          fixture.input.producerId ?? -1,
          fixture.input.producerEpoch ?? -1,
          fixture.input.baseSequence ?? -1,
        ]);
        expect(header.partitionLeaderEpoch).toBe(fixture.input.partitionLeaderEpoch ?? -1);
        expect(split).toEqual([{ pos: 0, header, sizeBytes: bytes.length }]);
      },
    );
  }
});
