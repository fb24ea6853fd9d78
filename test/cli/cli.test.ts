/** The `floe` CLI, spawned for real, against a real agent on the stand-ins. */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { EXIT } from "../../client/src/cli/exit-codes.js";
import { FloeClient, partitionForKey, text } from "../../client/src/index.js";
import { topicName, useAgent } from "../client/agent.js";
import { bundleCli, floe } from "./spawn.js";

const encoder = new TextEncoder();

describe("floe CLI", () => {
  const agent = useAgent();

  it("creates, lists, describes, alters and deletes topics", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli");
    // Act
    const created = await floe(
      ["topics", "create", topic, "--partitions", "2", "--config", "retention.ms=60000"],
      { url },
    );
    const listed = await floe(["topics", "list", "--json"], { url });
    const altered = await floe(["topics", "alter", topic, "-p", "3"], { url });
    const described = await floe(["topics", "describe", topic, "--json"], { url });
    const human = await floe(["topics", "describe", topic], { url });
    const deleted = await floe(["topics", "delete", topic], { url });
    const gone = await floe(["topics", "describe", topic], { url });
    // Assess
    expect(created).toMatchObject({
      code: EXIT.ok,
      stdout: `created topic ${topic} with 2 partitions\n`,
      stderr: "",
    });
    const names = (JSON.parse(listed.stdout) as { topics: { name: string }[] }).topics.map((t) => t.name);
    expect(names).toContain(topic);
    expect(altered.code).toBe(EXIT.ok);
    const description = JSON.parse(described.stdout) as {
      partition_count: number;
      config: Record<string, unknown>;
    };
    expect(description.partition_count).toBe(3);
    expect(description.config["retention.ms"]).toBe(60000);
    expect(human.stdout).toContain("PARTITION");
    expect(human.stdout).toContain("retention.ms=60000");
    expect(deleted.code).toBe(EXIT.ok);
    expect(gone.code).toBe(EXIT.notFound);
    expect(gone.stdout).toBe("");
    expect(gone.stderr).toMatch(/^floe: topic_not_found: .+\n$/);
  });

  it("produces keyed lines from stdin and consumes them back as JSON", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli");
    await new FloeClient({ url }).admin.createTopic(topic, { partitions: 3 });
    const lines = Array.from({ length: 50 }, (_, i) => `key-${i % 7}\tvalue ${i}`);
    // Act
    const produced = await floe(["produce", topic, "-K", "\\t", "--json"], {
      url,
      stdin: `${lines.join("\n")}\n`,
    });
    const consumed = await floe(["consume", topic, "--from-beginning", "--format", "json"], { url });
    // Assess
    expect(produced.code).toBe(EXIT.ok);
    expect(produced.stderr).toBe(""); // not a TTY: no progress bar
    expect(JSON.parse(produced.stdout)).toMatchObject({ topic, records: 50, failed: 0 });
    expect(consumed.code).toBe(EXIT.ok);
    const records = consumed.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { key: string; value: string; partition: number });
    expect(records.map((r) => r.value).sort()).toEqual(lines.map((l) => l.split("\t")[1]).sort());
    for (const r of records) expect(r.partition).toBe(partitionForKey(encoder.encode(r.key), 3));
  });

  it("produces NDJSON from a file with the key taken from a field", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli");
    const client = new FloeClient({ url });
    await client.admin.createTopic(topic, { partitions: 4 });
    const objects = Array.from({ length: 30 }, (_, i) => ({ id: `order-${i % 5}`, amount: i }));
    const file = join(tmpdir(), `${topic}.ndjson`);
    await writeFile(file, `${objects.map((o) => JSON.stringify(o)).join("\n")}\n`);
    // Act
    const produced = await floe(
      ["produce", topic, "--file", file, "--format", "ndjson", "--key-field", "id"],
      { url },
    );
    const values = await floe(["consume", topic, "--max-records", "100"], { url });
    // Assess
    expect(produced).toMatchObject({ code: EXIT.ok, stderr: "" });
    expect(produced.stdout).toMatch(/^produced 30 records/);
    const got = [];
    for await (const r of client.consumer({ topics: topic, from: "earliest", follow: false })) got.push(r);
    expect(got).toHaveLength(30);
    for (const r of got) {
      const o = JSON.parse(text(r.value)!) as { id: string };
      expect(text(r.key)).toBe(o.id);
      expect(r.partition).toBe(partitionForKey(encoder.encode(o.id), 4));
    }
    expect(
      values.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .sort((a, b) => a.amount - b.amount),
    ).toEqual(objects);
  });

  it("tails the last records and stops at --max-records", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli");
    await new FloeClient({ url }).admin.createTopic(topic, { partitions: 1 });
    await floe(["produce", topic], { url, stdin: "a\nb\nc\nd\ne\n" });
    // Act
    const [tail, firstTwo, fromOffset] = await Promise.all([
      floe(["tail", topic, "-l", "2"], { url }),
      floe(["consume", topic, "-n", "2"], { url }),
      floe(["consume", topic, "--offset", "3", "-K", ":"], { url }),
    ]);
    // Assess
    expect(tail).toMatchObject({ code: EXIT.ok, stdout: "d\ne\n" });
    expect(firstTwo).toMatchObject({ code: EXIT.ok, stdout: "a\nb\n" });
    expect(fromOffset).toMatchObject({ code: EXIT.ok, stdout: ":d\n:e\n" });
  });

  it("exits with documented codes and one readable stderr line", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli");
    await new FloeClient({ url }).admin.createTopic(topic);
    // Act
    const [usage, unknownFlag, exists, badNdjson, unreachable, missing] = await Promise.all([
      floe(["topics", "create"], { url }),
      floe(["consume", topic, "--bogus"], { url }),
      floe(["topics", "create", topic], { url }),
      floe(["produce", topic, "--format", "ndjson"], { url, stdin: "{not json}\n" }),
      floe(["topics", "list"], { url: "http://127.0.0.1:9" }),
      floe(["produce", "no-such-topic"], { url, stdin: "x\n" }),
    ]);
    // Assess
    expect(usage.code).toBe(EXIT.usage);
    expect(usage.stderr).toBe("floe: usage: missing <topic> (see floe --help)\n");
    expect(unknownFlag.code).toBe(EXIT.usage);
    expect(unknownFlag.stderr).toMatch(/^floe: usage: unknown option '--bogus'/);
    expect(exists.code).toBe(EXIT.conflict);
    expect(exists.stderr).toMatch(/^floe: topic_exists: /);
    expect(badNdjson.code).toBe(EXIT.rejected);
    expect(badNdjson.stderr).toMatch(/line 1 is not valid JSON/);
    expect(unreachable.code).toBe(EXIT.unavailable);
    expect(unreachable.stderr).toMatch(/^floe: unavailable: GET \/v1\/topics failed/);
    expect(missing.code).toBe(EXIT.notFound);
    for (const run of [usage, unknownFlag, exists, badNdjson, unreachable, missing]) {
      expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
    }
  });

  it("consumes as a group, then lists and describes the group with its lag", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli");
    const group = topicName("cli-group");
    await new FloeClient({ url }).admin.createTopic(topic, { partitions: 2 });
    await floe(["produce", topic, "-K", ","], { url, stdin: "a,1\nb,2\nc,3\nd,4\n" });
    // Act
    const consumed = await floe(["consume", topic, "--group", group, "--from-beginning"], { url });
    await floe(["produce", topic, "-K", ","], { url, stdin: "e,5\n" });
    const [listed, described, human] = await Promise.all([
      floe(["groups", "list", "--json"], { url }),
      floe(["groups", "describe", group, "--json"], { url }),
      floe(["groups", "describe", group], { url }),
    ]);
    // Assess
    expect(consumed.code).toBe(EXIT.ok);
    expect(consumed.stdout.trim().split("\n").sort()).toEqual(["1", "2", "3", "4"]);
    expect(
      (JSON.parse(listed.stdout) as { groups: { group: string }[] }).groups.map((g) => g.group),
    ).toContain(group);
    const d = JSON.parse(described.stdout) as {
      total_lag: number;
      offsets: { committed_offset: number | null }[];
    };
    expect(d.total_lag).toBe(1); // the record produced after the group read to the end
    expect(d.offsets.reduce((n, o) => n + (o.committed_offset ?? 0), 0)).toBe(4);
    expect(human.stdout).toMatch(/total lag 1/);
    expect(human.stdout).toContain("LAG");
  });

  it.runIf(existsSync("/usr/bin/script"))(
    "draws a progress bar on a terminal, and none on a pipe (delay 0: no verdict on speed)",
    async () => {
      // Prepare: the bar's delay is 0 (FLOE_PROGRESS_DELAY_MS), so the verdict does not depend on
      // how long producing takes; `script` gives the child a TTY.
      const url = agent().url;
      const topic = topicName("cli");
      await new FloeClient({ url }).admin.createTopic(topic, { partitions: 2 });
      const file = join(tmpdir(), `${topic}.txt`);
      await writeFile(file, Array.from({ length: 200 }, (_, i) => `line ${i} ${"x".repeat(100)}`).join("\n"));
      const bin = await bundleCli();
      // Act
      const onTty = await new Promise<string>((resolve, reject) => {
        const command = [process.execPath, bin, "produce", topic, "--file", file, "--linger-ms", "20"].join(
          " ",
        );
        const child = spawn("/usr/bin/script", ["-qec", command, "/dev/null"], {
          env: { ...process.env, FLOE_URL: url, FLOE_PROGRESS_DELAY_MS: "0" },
        });
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => {
          out += d;
        });
        child.on("error", reject);
        child.on("close", () => resolve(out));
      });
      const onPipe = await floe(["produce", topic, "--file", file], {
        url,
        env: { FLOE_PROGRESS_DELAY_MS: "0" },
      });
      // Assess
      expect(onTty).toMatch(/\[[#-]+\]\s+\d+%\s+[\d,]+ rec\s+[\d,]+ rec\/s\s+[\d.]+ [kM]?B\/s/);
      expect(onTty).toContain("produced 200 records");
      expect(onPipe.stderr).toBe("");
      expect(onPipe.stdout).toMatch(/^produced 200 records/);
    },
  );
});
