import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../functions/src/config.js";

describe("loadConfig", () => {
  it("applies defaults per platform", () => {
    // Act
    const container = loadConfig({});
    const lambda = loadConfig({ FLOE_BUCKET: "b", FLOE_TABLE: "t" }, { storage: "aws", platform: "lambda" });
    // Assess
    expect(container).toMatchObject({
      storage: "embedded",
      port: 8080,
      lingerMs: 100,
      limits: { requestBytesMax: 10 * 1024 * 1024 },
    });
    expect(lambda).toMatchObject({
      lingerMs: 0,
      hotTailBytes: 0,
      limits: { requestBytesMax: 4 * 1024 * 1024, waitMsMax: 20_000 },
    });
  });

  it("fails fast, naming the variable, on bad or missing values", () => {
    expect(() => loadConfig({ FLOE_PORT: "http" })).toThrow(/FLOE_PORT/);
    expect(() => loadConfig({ FLOE_STORAGE: "aws" })).toThrow(/FLOE_BUCKET/);
    expect(() => loadConfig({ FLOE_PLATFORM: "vm" })).toThrow(ConfigError);
  });

  it("refuses an in-flight budget smaller than the largest request", () => {
    expect(() => loadConfig({ FLOE_INFLIGHT_BYTES_MAX: String(2 * 1024 * 1024) })).toThrow(
      /FLOE_INFLIGHT_BYTES_MAX/,
    );
    expect(
      loadConfig({
        FLOE_INFLIGHT_BYTES_MAX: String(2 * 1024 * 1024),
        FLOE_REQUEST_BYTES_MAX: String(1024 * 1024),
      }).inflightBytesMax,
    ).toBe(2 * 1024 * 1024);
  });

  it("bounds every cache in bytes, with defaults that leave a quarter of a 2 GiB container free", () => {
    // Act
    const config = loadConfig({});
    // Assess
    const MiB = 1024 * 1024;
    expect(config).toMatchObject({
      rangeCacheBytes: 256 * MiB,
      hotTailBytes: 64 * MiB,
      entryCacheBytes: 64 * MiB,
      headCacheBytes: 64 * MiB,
      topicCacheBytes: 4 * MiB,
      memoryBytes: 2048 * MiB,
    });
    const used =
      config.rangeCacheBytes +
      config.hotTailBytes +
      config.entryCacheBytes +
      2 * config.headCacheBytes +
      config.topicCacheBytes +
      config.inflightBytesMax;
    expect(used).toBeLessThanOrEqual(0.75 * config.memoryBytes);
  });

  it("refuses cache and in-flight budgets that leave less than a quarter of the memory, at the bound", () => {
    // Prepare: with a 16 MiB head cache the defaults use 676 MiB, so memory of 676 / 0.75 MiB fits
    // exactly and a byte less does not.
    const MiB = 1024 * 1024;
    const exact = Math.ceil((676 * MiB) / 0.75);
    const head = { FLOE_HEAD_CACHE_BYTES: String(16 * MiB) };
    // Act / Assess
    expect(loadConfig({ ...head, FLOE_MEMORY_BYTES: String(exact) }).memoryBytes).toBe(exact);
    expect(() => loadConfig({ ...head, FLOE_MEMORY_BYTES: String(exact - 2) })).toThrow(/FLOE_MEMORY_BYTES/);
    expect(() => loadConfig({ FLOE_ENTRY_CACHE_BYTES: String(2048 * MiB) })).toThrow(ConfigError);
  });

  it("shrinks Lambda's cache and in-flight defaults with its memory size", () => {
    // Act
    const small = loadConfig(
      { FLOE_BUCKET: "b", FLOE_TABLE: "t", AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "128" },
      { storage: "aws", platform: "lambda" },
    );
    // Assess
    const MiB = 1024 * 1024;
    expect(small).toMatchObject({
      memoryBytes: 128 * MiB,
      rangeCacheBytes: 16 * MiB,
      entryCacheBytes: 4 * MiB,
      headCacheBytes: 2 * MiB,
      topicCacheBytes: MiB / 2,
      inflightBytesMax: 32 * MiB,
    });
  });

  it("parses the Kafka listener's port and advertised address", () => {
    expect(loadConfig({}).kafkaPort).toBe(9092);
    // Agents spawned on ephemeral ports (tests) must not all claim 9092.
    expect(loadConfig({ FLOE_PORT: "0" }).kafkaPort).toBe(0);
    expect(loadConfig({ FLOE_PORT: "0", FLOE_KAFKA_PORT: "19092" }).kafkaPort).toBe(19092);
    expect(loadConfig({ FLOE_PLATFORM: "lambda", FLOE_KAFKA_PORT: "9092" }).kafkaPort).toBe(0);
    expect(loadConfig({ FLOE_KAFKA_ADVERTISED: "kafka.example.com:9093" }).kafkaAdvertised).toEqual({
      host: "kafka.example.com",
      port: 9093,
    });
    expect(loadConfig({ FLOE_KAFKA_ADVERTISED: "[::1]:9092" }).kafkaAdvertised).toEqual({
      host: "::1",
      port: 9092,
    });
    expect(() => loadConfig({ FLOE_KAFKA_ADVERTISED: "no-port" })).toThrow(/FLOE_KAFKA_ADVERTISED/);
    expect(() => loadConfig({ FLOE_KAFKA_PORT: "70000" })).toThrow(/FLOE_KAFKA_PORT/);
    expect(loadConfig({}).kafkaInflightBytesMax).toBe(64 * 1024 * 1024);
    expect(loadConfig({ FLOE_KAFKA_INFLIGHT_BYTES_MAX: "1048576" }).kafkaInflightBytesMax).toBe(1 << 20);
    expect(() => loadConfig({ FLOE_KAFKA_INFLIGHT_BYTES_MAX: "1000" })).toThrow(
      /FLOE_KAFKA_INFLIGHT_BYTES_MAX/,
    );
  });
});
