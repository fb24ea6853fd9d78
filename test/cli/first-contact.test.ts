/**
 * issue 13: what a newcomer hit with `floe`, and the habits a kcat / kafka-console-* /
 * kafka-consumer-groups user brings. The real executable, spawned, against a real agent.
 */
import { spawnSync } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_PARTITIONS } from "../../client/src/cli/commands/topics.js";
import { EXIT } from "../../client/src/cli/exit-codes.js";
import { FloeClient } from "../../client/src/index.js";
import { MAX_PARTITIONS as SERVER_MAX_PARTITIONS } from "../../functions/src/engine/topic-config.js";
import { topicName, useAgent } from "../client/agent.js";
import { floe } from "./spawn.js";

const lines = (out: string) => out.split("\n").filter((l) => l !== "");

/** Every failure is one stderr line `floe: <code>: <message>`, never a stack trace. */
function expectOneErrorLine(stderr: string, code: string): void {
  expect(stderr).toMatch(new RegExp(`^floe: ${code}: [^\\n]+\\n$`));
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe("floe: what a newcomer hit", () => {
  const agent = useAgent();

  it("refuses a partition the topic does not have, with and without -f", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli-p");
    await new FloeClient({ url }).admin.createTopic(topic, { partitions: 3 });
    // Act
    const [once, follow, tooBig] = await Promise.all([
      floe(["consume", topic, "-p", "7"], { url }),
      floe(["consume", topic, "-p", "7", "-f"], { url }),
      floe(["consume", topic, "-p", String(MAX_PARTITIONS)], { url }),
    ]);
    // Assess
    for (const run of [once, follow]) {
      expect(run.code).toBe(EXIT.notFound);
      expectOneErrorLine(run.stderr, "partition_not_found");
      expect(run.stderr).toContain("it has 3: 0 to 2");
    }
    expect(tooBig.code).toBe(EXIT.usage);
  });

  it("refuses --offset past the end, and takes --offset -1 / -o -1 as the last record", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli-o");
    await new FloeClient({ url }).admin.createTopic(topic, { partitions: 1 });
    await floe(["produce", topic], { url, stdin: "a\nb\nc\n" });
    // Act
    const [past, atEnd, longNeg, shortNeg, bad] = await Promise.all([
      floe(["consume", topic, "--offset", "999"], { url }),
      floe(["consume", topic, "--offset", "3"], { url }),
      floe(["consume", topic, "--offset", "-1"], { url }),
      floe(["consume", topic, "-o", "-1"], { url }),
      floe(["consume", topic, "--offset", "soon"], { url }),
    ]);
    // Assess
    expect(past.code).toBe(EXIT.rejected);
    expectOneErrorLine(past.stderr, "offset_out_of_range");
    expect(past.stderr).toContain("high watermark 3");
    expect(atEnd).toMatchObject({ code: EXIT.ok, stdout: "" });
    expect(longNeg).toMatchObject({ code: EXIT.ok, stdout: "c\n", stderr: "" });
    expect(shortNeg).toMatchObject({ code: EXIT.ok, stdout: "c\n", stderr: "" });
    expect(bad.code).toBe(EXIT.usage);
    expectOneErrorLine(bad.stderr, "usage");
  });

  it("lists groups with state, member count and generation (no dashes)", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli-g");
    const group = topicName("cli-g-group");
    await new FloeClient({ url }).admin.createTopic(topic, { partitions: 1 });
    await floe(["produce", topic], { url, stdin: "x\n" });
    await floe(["consume", topic, "-g", group], { url });
    // Act
    const [json, human] = await Promise.all([
      floe(["groups", "list", "--json"], { url }),
      floe(["groups", "list"], { url }),
    ]);
    // Assess
    const listed = (
      JSON.parse(json.stdout) as {
        groups: { group: string; state: string; members: number; generation: number }[];
      }
    ).groups.find((g) => g.group === group);
    expect(listed).toMatchObject({ state: "empty", members: 0 });
    expect(listed!.generation).toBeGreaterThan(0);
    const row = lines(human.stdout).find((l) => l.startsWith(`${group} `))!;
    expect(row).toMatch(new RegExp(`^${group}\\s+empty\\s+0\\s+\\d+\\s+0$`));
    expect(lines(human.stdout)[0]).toMatch(/^GROUP\s+STATE\s+MEMBERS\s+GENERATION\s+LAG$/);
  });

  it("fails only the oversized line, sends its neighbours, and prints the summary", async () => {
    // Prepare: the topic's own limit is 2,000 bytes; line 2 is 5,000.
    const url = agent().url;
    const topic = topicName("cli-big");
    await new FloeClient({ url }).admin.createTopic(topic, {
      partitions: 1,
      config: { "max.message.bytes": 2000 },
    });
    const input = ["small-1", "x".repeat(5000), "small-3", "small-4"].join("\n");
    // Act
    const produced = await floe(["produce", topic], { url, stdin: `${input}\n` });
    const consumed = await floe(["consume", topic], { url });
    // Assess
    expect(produced.code).toBe(EXIT.rejected);
    expect(produced.stdout).toMatch(/^produced 3 records, 1 failed /);
    expectOneErrorLine(produced.stderr, "record_too_large");
    expect(produced.stderr).toContain("line 2:");
    expect(consumed.stdout).toBe("small-1\nsmall-3\nsmall-4\n");
  });

  it("says a missing --file plainly, without a stack trace", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli-f");
    await new FloeClient({ url }).admin.createTopic(topic);
    // Act
    const run = await floe(["produce", topic, "--file", join(tmpdir(), "no-such-file.txt")], { url });
    // Assess
    expect(run.code).toBe(EXIT.usage);
    expectOneErrorLine(run.stderr, "usage");
    expect(run.stderr).toContain("no such file");
  });

  it("caps partitions at the server's 1,024 and says 1 record, not 1 records", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli-cap");
    // Act
    const tooMany = await floe(["topics", "create", topic, "-p", "1025"], { url });
    await floe(["topics", "create", topic], { url });
    const one = await floe(["produce", topic], { url, stdin: "only\n" });
    // Assess
    expect(MAX_PARTITIONS).toBe(SERVER_MAX_PARTITIONS);
    expect(tooMany.code).toBe(EXIT.usage);
    expect(tooMany.stderr).toContain("from 1 to 1024");
    expect(one.stdout).toMatch(/^produced 1 record \(/);
  });

  it("gives JSON headers as the HTTP API does: [] and [{name, value}]", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli-h");
    await new FloeClient({ url }).admin.createTopic(topic);
    await floe(["produce", topic], { url, stdin: "plain\n" });
    await floe(["produce", topic, "-H", "trace=abc"], { url, stdin: "traced\n" });
    // Act
    const run = await floe(["consume", topic, "--format", "json"], { url });
    // Assess
    const records = lines(run.stdout).map((l) => JSON.parse(l) as { headers: unknown });
    expect(records.map((r) => r.headers)).toEqual([[], [{ name: "trace", value: "abc" }]]);
  });
});

describe("floe: kcat and Kafka tool habits", () => {
  const agent = useAgent();

  it("starts at beginning, end, N, -N or a time, and -e ends at the end (not with -f)", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli-start");
    await new FloeClient({ url }).admin.createTopic(topic, { partitions: 1 });
    await floe(["produce", topic], { url, stdin: "a\nb\nc\nd\ne\n" });
    const all = lines((await floe(["consume", topic, "--json"], { url })).stdout).map(
      (l) => JSON.parse(l) as { value: string; timestamp: number },
    );
    const at = all[2]!.timestamp;
    const expectedFromTime = all.filter((r) => r.timestamp >= at).map((r) => `${r.value}\n`);
    // Act
    const [beginning, end, absolute, fromEnd, byTime, both] = await Promise.all([
      floe(["consume", topic, "-o", "beginning", "-e"], { url }),
      floe(["consume", topic, "-o", "end", "-e"], { url }),
      floe(["consume", topic, "-o", "3", "-e"], { url }),
      floe(["consume", topic, "-o", "-2", "-e"], { url }),
      floe(["consume", topic, "-o", `s@${at}`, "-e"], { url }),
      floe(["consume", topic, "-e", "-f"], { url }),
    ]);
    // Assess
    expect(beginning).toMatchObject({ code: EXIT.ok, stdout: "a\nb\nc\nd\ne\n" });
    expect(end).toMatchObject({ code: EXIT.ok, stdout: "" });
    expect(absolute.stdout).toBe("d\ne\n");
    expect(fromEnd.stdout).toBe("d\ne\n");
    expect(byTime.stdout).toBe(expectedFromTime.join(""));
    expect(both.code).toBe(EXIT.usage);
  });

  it("prints a kcat format string, NULL for tombstones with -Z both ways, and raw bytes", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli-fmt");
    const client = new FloeClient({ url });
    await client.admin.createTopic(topic, { partitions: 1 });
    await floe(["produce", topic, "-K", ":", "-Z", "-H", "h=1"], { url, stdin: "k1:v1\nk2:\n:v3\n" });
    const producer = client.producer();
    const binary = new Uint8Array([0xff, 0xfe, 0x00, 0x80]);
    await producer.send(topic, { key: null, value: binary });
    await producer.close();
    // Act
    const [formatted, json, raw, badField] = await Promise.all([
      floe(["consume", topic, "-Z", "-n", "3", "--format", "%t|%p|%o|%k|%s|%K|%S|%h\\n"], { url }),
      floe(["consume", topic, "--json", "-n", "3"], { url }),
      floe(["consume", topic, "-o", "3"], { url }),
      floe(["consume", topic, "--format", "%q"], { url }),
    ]);
    // Assess
    expect(formatted.stdout).toBe(
      [
        `${topic}|0|0|k1|v1|2|2|h=1`,
        `${topic}|0|1|k2|NULL|2|-1|h=1`,
        `${topic}|0|2|NULL|v3|-1|2|h=1`,
        "",
      ].join("\n"),
    );
    expect(lines(json.stdout).map((l) => (JSON.parse(l) as { key: unknown; value: unknown }).value)).toEqual([
      "v1",
      null,
      "v3",
    ]);
    expect([...raw.stdoutBytes]).toEqual([...binary, 0x0a]); // no U+FFFD
    expect(badField.code).toBe(EXIT.usage);
  });

  it("reads several topics at once and lists metadata like kcat -L", async () => {
    // Prepare
    const url = agent().url;
    const first = topicName("cli-m1");
    const second = topicName("cli-m2");
    const admin = new FloeClient({ url }).admin;
    await admin.createTopic(first, { partitions: 2 });
    await admin.createTopic(second, { partitions: 1 });
    await floe(["produce", first, "-p", "1"], { url, stdin: "one\n" });
    await floe(["produce", second], { url, stdin: "two\n" });
    // Act
    const [both, meta, metaJson] = await Promise.all([
      floe(["consume", first, second, "--format", "%t=%s\\n"], { url }),
      floe(["metadata", first], { url }),
      floe(["metadata", "--json"], { url }),
    ]);
    // Assess
    expect(lines(both.stdout).sort()).toEqual([`${first}=one`, `${second}=two`].sort());
    expect(meta.stdout).toContain(`topic "${first}" with 2 partitions:`);
    expect(meta.stdout).toContain("partition 1, log start 0, high watermark 1");
    const listed = JSON.parse(metaJson.stdout) as { topics: { name: string; partitions: unknown[] }[] };
    expect(listed.topics.find((t) => t.name === second)?.partitions).toEqual([
      { partition: 0, log_start_offset: 0, high_watermark: 1 },
    ]);
  });

  it("resets a group's offsets: a dry run first, then --execute; describes every group", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli-reset");
    const group = topicName("cli-reset-group");
    await new FloeClient({ url }).admin.createTopic(topic, { partitions: 1 });
    await floe(["produce", topic], { url, stdin: "a\nb\nc\nd\n" });
    await floe(["consume", topic, "-g", group], { url }); // commits 4
    // Act
    const dry = await floe(["groups", "reset-offsets", group, "-t", topic, "--shift-by", "-3", "--json"], {
      url,
    });
    const afterDry = await floe(["groups", "describe", group, "--json"], { url });
    const executed = await floe(
      ["groups", "reset-offsets", group, "-t", topic, "--shift-by", "-3", "--execute"],
      {
        url,
      },
    );
    const reread = await floe(["consume", topic, "-g", group], { url });
    const earliest = await floe(
      ["groups", "reset-offsets", group, "-t", topic, "--to-earliest", "--execute", "--json"],
      {
        url,
      },
    );
    const all = await floe(["groups", "describe", "--json"], { url });
    const none = await floe(["groups", "reset-offsets", group, "-t", topic], { url });
    // Assess
    expect(JSON.parse(dry.stdout)).toEqual({
      group,
      topic,
      dry_run: true,
      offsets: [{ topic, partition: 0, current_offset: 4, new_offset: 1 }],
    });
    expect(
      (JSON.parse(afterDry.stdout) as { offsets: { committed_offset: number }[] }).offsets[0]!
        .committed_offset,
    ).toBe(4);
    expect(executed.code).toBe(EXIT.ok);
    expect(executed.stdout).toMatch(/CURRENT\s+NEW/);
    expect(reread.stdout).toBe("b\nc\nd\n");
    expect(JSON.parse(earliest.stdout)).toMatchObject({ dry_run: false, offsets: [{ new_offset: 0 }] });
    const groups = (JSON.parse(all.stdout) as { groups: { group: string; state: string }[] }).groups;
    expect(groups.find((g) => g.group === group)).toMatchObject({ state: "empty" });
    expect(none.code).toBe(EXIT.usage);
  });

  it("creates --if-not-exists, deletes --if-exists, describes every topic", async () => {
    // Prepare
    const url = agent().url;
    const topic = topicName("cli-idem");
    // Act
    const first = await floe(["topics", "create", topic, "-p", "2", "--if-not-exists"], { url });
    const again = await floe(["topics", "create", topic, "-p", "2", "--if-not-exists"], { url });
    const plain = await floe(["topics", "create", topic], { url });
    const all = await floe(["topics", "describe", "--json"], { url });
    const deleted = await floe(["topics", "delete", topic, "--if-exists"], { url });
    const gone = await floe(["topics", "delete", topic, "--if-exists"], { url });
    const strictGone = await floe(["topics", "delete", topic], { url });
    // Assess
    expect(first.code).toBe(EXIT.ok);
    expect(again).toMatchObject({ code: EXIT.ok, stdout: `topic ${topic} exists already (2 partitions)\n` });
    expect(plain.code).toBe(EXIT.conflict);
    expect((JSON.parse(all.stdout) as { topics: { name: string }[] }).topics.map((t) => t.name)).toContain(
      topic,
    );
    expect(deleted.code).toBe(EXIT.ok);
    expect(gone).toMatchObject({ code: EXIT.ok, stdout: `topic ${topic} does not exist\n` });
    expect(strictGone.code).toBe(EXIT.notFound);
  });

  it.runIf(spawnSync("bash", ["--version"]).status === 0)(
    "prints bash and zsh completion scripts (bash parses its own)",
    async () => {
      // Prepare
      const script = join(tmpdir(), `floe-completion-${process.pid}.bash`);
      // Act
      const [bash, zsh, bad] = await Promise.all([
        floe(["completion", "bash"]),
        floe(["completion", "zsh"]),
        floe(["completion", "fish"]),
      ]);
      await writeFile(script, bash.stdout);
      const parsed = spawnSync("bash", ["-n", script]);
      // Assess
      expect(bash.stdout).toContain("complete -o default -F _floe floe");
      expect(bash.stdout).toContain("reset-offsets");
      expect(parsed.status).toBe(0);
      expect(zsh.stdout).toMatch(/^#compdef floe/);
      expect(bad.code).toBe(EXIT.usage);
    },
  );
});
