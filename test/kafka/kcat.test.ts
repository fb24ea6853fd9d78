/**
 * librdkafka, through kcat, against a real agent: metadata, produce with every compression codec,
 * consume from the beginning, offsets for times, and the cross-check with the HTTP API (same
 * records at the same offsets, both ways). Skipped, saying so, only when kcat is not installed
 * (.ci/run installs it).
 */
import { execFile, execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { kafkaTopic, useKafkaAgent } from "./harness.js";

function hasKcat(): boolean {
  try {
    execFileSync("kcat", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const KCAT = hasKcat();
if (!KCAT) console.warn("kcat is not installed: skipping the kcat tests (apt-get install -y kcat)");

function kcat(args: string[], input = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile("kcat", args, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`kcat ${args.join(" ")} failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin!.end(input);
  });
}

describe.skipIf(!KCAT)("kcat (librdkafka)", () => {
  const agent = useKafkaAgent();

  it("lists brokers and topics (-L)", async () => {
    const topic = kafkaTopic();
    await agent().runtime.log.topics.create(topic, 3);
    const out = await kcat(["-b", agent().broker, "-L", "-t", topic]);
    expect(out).toContain(`broker 0 at ${agent().broker}`);
    expect(out).toContain(`topic "${topic}" with 3 partitions`);
  });

  for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"]) {
    it(`produces with compression ${codec}; kcat and the HTTP JSON API read it from the beginning`, async () => {
      // Prepare
      const topic = kafkaTopic(codec);
      await agent().runtime.log.topics.create(topic, 2);
      // Compressible and large enough that librdkafka does compress (it sends small sets as is).
      const lines = ["alpha", "beta", "gamma"].map((s) => `${s}-${codec}-${"z".repeat(2000)}`);
      // Act
      await kcat(
        ["-b", agent().broker, "-t", topic, "-P", "-p", "1", "-X", `compression.codec=${codec}`],
        `${lines.join("\n")}\n`,
      );
      const out = await kcat([
        "-b",
        agent().broker,
        "-t",
        topic,
        "-C",
        "-p",
        "1",
        "-o",
        "beginning",
        "-e",
        "-f",
        "%o %s\\n",
      ]);
      const http = (await (
        await fetch(`${agent().url}/v1/topics/${topic}/partitions/1/records?offset=0`)
      ).json()) as { records: { offset: number; value: string }[] };
      const stored = await agent().runtime.log.fetch(
        topic,
        1,
        { offset: 0 },
        { maxBytes: 1 << 20, maxRecords: 10, clamp: false },
      );
      // Assess: stored with the producer's codec; kcat reads its own records back, and the HTTP JSON API decodes the same codec
      // librdkafka 2.0.2 sends gzip, snappy and lz4 sets of this listener uncompressed (an open
      // point in docs/kafka.md: its feature detection keys on versions we do not advertise);
      // zstd it compresses, so that codec is proven stored as sent and decoded on the HTTP path.
      if (codec === "zstd" || codec === "none")
        // (every batch: how many batches librdkafka cuts depends on its linger, i.e. on timing)
        for (const b of stored.batches) expect(b.header.compression).toBe(codec);
      expect(out.trim().split("\n")).toEqual(lines.map((l, i) => `${i} ${l}`));
      expect(http.records.map((r) => `${r.offset} ${r.value}`)).toEqual(lines.map((l, i) => `${i} ${l}`));
    });
  }

  it("answers offsets for times (-Q)", async () => {
    const topic = kafkaTopic("q");
    await agent().runtime.log.topics.create(topic, 1);
    const before = Date.now() - 1;
    await kcat(["-b", agent().broker, "-t", topic, "-P", "-p", "0"], "a\nb\n");
    const out = await kcat(["-b", agent().broker, "-Q", "-t", `${topic}:0:${before}`]);
    expect(out).toContain(`${topic} [0] offset 0`);
    const future = await kcat(["-b", agent().broker, "-Q", "-t", `${topic}:0:${Date.now() + 3_600_000}`]);
    expect(future).toContain(`${topic} [0] offset -1`);
  });

  it("reads through HTTP what kcat produced, and through kcat what HTTP produced, at the same offsets", async () => {
    // Prepare
    const topic = kafkaTopic("x");
    await agent().runtime.log.topics.create(topic, 1);
    await kcat(["-b", agent().broker, "-t", topic, "-P", "-p", "0", "-K", ":"], "k1:from-kafka\n");
    // Act
    const http = await fetch(`${agent().url}/v1/topics/${topic}/partitions/0/records`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ records: [{ key: "k2", value: "from-http" }] }),
    });
    expect(http.status).toBe(200);
    const read = (await (
      await fetch(`${agent().url}/v1/topics/${topic}/partitions/0/records?offset=0`)
    ).json()) as { records: { offset: number; key: string; value: string }[] };
    const consumed = await kcat([
      "-b",
      agent().broker,
      "-t",
      topic,
      "-C",
      "-p",
      "0",
      "-o",
      "beginning",
      "-e",
      "-f",
      "%o %k %s\\n",
    ]);
    // Assess
    expect(read.records.map((r) => [r.offset, r.key, r.value])).toEqual([
      [0, "k1", "from-kafka"],
      [1, "k2", "from-http"],
    ]);
    expect(consumed.trim().split("\n")).toEqual(["0 k1 from-kafka", "1 k2 from-http"]);
  });

  it("consumes as a balanced group member (-G) and resumes from the committed offsets", async () => {
    // Prepare
    const topic = kafkaTopic("g");
    const group = kafkaTopic("group");
    await agent().runtime.log.topics.create(topic, 2);
    await kcat(["-b", agent().broker, "-t", topic, "-P", "-p", "0"], "a\nb\n");
    await kcat(["-b", agent().broker, "-t", topic, "-P", "-p", "1"], "c\n");
    const member = (extra: string[]) =>
      kcat(["-b", agent().broker, "-G", group, "-e", "-f", "%p:%o:%s\n", ...extra, topic]);
    // Act
    const first = await member(["-o", "beginning"]);
    await kcat(["-b", agent().broker, "-t", topic, "-P", "-p", "1"], "d\n");
    const second = await member([]);
    // Assess
    expect(first.trim().split("\n").sort()).toEqual(["0:0:a", "0:1:b", "1:0:c"]);
    expect(second.trim().split("\n")).toEqual(["1:1:d"]);
  });

  it("fails at once on an unknown topic instead of creating it", async () => {
    const out = await kcat(["-b", agent().broker, "-L", "-t", "no-such-topic-here"]);
    expect(out).toMatch(/Unknown topic|UNKNOWN_TOPIC/i);
    expect(await agent().runtime.log.topics.get("no-such-topic-here", true)).toBeUndefined();
    expect(agent().errors).toEqual([]);
  });
});
