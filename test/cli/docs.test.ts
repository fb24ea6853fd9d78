/**
 * The README and docs/cli.md as a newcomer pastes them: their code blocks are extracted and run,
 * as written, in bash, against `npm start` (started here the way the README says, on free ports
 * and a fresh data dir; the block's 8080/9092 are rewritten to those ports and nothing else).
 *
 * Not run here, and why: `npm ci && npm start|test` (npm-start.test.ts runs `npm start`; the
 * test suite is this), `npm run pack:client` (test/client/package.test.ts packs and installs it),
 * the several-agents block (fixed ports 4569/4567 shared by every worktree), `cdk deploy`.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../..", import.meta.url));

interface Block {
  lang: string;
  text: string;
}

/** The fenced code blocks of a Markdown file (indented ones too). */
function codeBlocks(markdown: string): Block[] {
  const blocks: Block[] = [];
  const re = /^( *)```(\w*)\n([\s\S]*?)^\1```$/gm;
  for (const m of markdown.matchAll(re)) {
    const indent = m[1]!.length;
    const text = m[3]!
      .split("\n")
      .map((l) => l.slice(indent))
      .join("\n");
    blocks.push({ lang: m[2]!, text });
  }
  return blocks;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

function bash(script: string, env: Record<string, string>): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-e", "-o", "pipefail", "-c", script], {
      cwd: repo,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const readme = readFileSync(join(repo, "README.md"), "utf8");
const cliDoc = readFileSync(join(repo, "docs/cli.md"), "utf8");

describe("the README and docs/cli.md, pasted", () => {
  let agent: ChildProcess | undefined;
  let httpPort = 0;
  let kafkaPort = 0;
  let dataDir = "";
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "floe-docs-"));
    httpPort = await freePort();
    kafkaPort = await freePort();
    const child = spawn("npm", ["start"], {
      cwd: repo,
      env: {
        ...process.env,
        FLOE_DATA_DIR: dataDir,
        FLOE_PORT: String(httpPort),
        FLOE_KAFKA_PORT: String(kafkaPort),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    agent = child;
    child.stderr.resume();
    await new Promise<void>((resolve, reject) => {
      let out = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (out.includes("kafka listening on")) resolve();
      });
      child.on("exit", () => reject(new Error(`npm start ended: ${out}`)));
    });
  }, 120_000);
  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once("exit", r));
      agent.kill("SIGTERM");
      await exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  /** A block with the documented ports rewritten to this agent's. */
  const localize = (text: string) =>
    text
      .replaceAll("localhost:8080", `127.0.0.1:${httpPort}`)
      .replaceAll("127.0.0.1:8080", `127.0.0.1:${httpPort}`)
      .replaceAll("127.0.0.1:9092", `127.0.0.1:${kafkaPort}`);
  const env = () => ({ FLOE_URL: `http://127.0.0.1:${httpPort}` });

  it("runs the curl block: every reply is a success", { timeout: 60_000 }, async () => {
    // Prepare
    const block = codeBlocks(readme).find((b) => b.text.startsWith("curl"))!;
    // Act
    const ran = await bash(localize(block.text), env());
    // Assess
    expect(ran.code).toBe(0);
    expect(ran.stdout).not.toContain("error_code");
    expect(ran.stdout).toContain('"value":"hello"');
  });

  it.runIf(spawnSync("kcat", ["-V"]).status === 0)(
    "runs the kcat block against the Kafka listener",
    { timeout: 60_000 },
    async () => {
      // Prepare
      const block = codeBlocks(readme).find((b) => b.text.includes("kcat -b"))!;
      // Act
      const ran = await bash(localize(block.text), env());
      // Assess
      expect(ran.code).toBe(0);
      expect(ran.stdout).toContain("hello from kcat");
    },
  );

  it("shows examples/quickstart.ts as it is, and it runs and ends", { timeout: 120_000 }, async () => {
    // Prepare
    const block = codeBlocks(readme).find((b) => b.lang === "ts")!;
    const file = readFileSync(join(repo, "examples/quickstart.ts"), "utf8");
    // Act: twice; the second run must not wait for a member the first left behind.
    const first = await bash("npx tsx examples/quickstart.ts", env());
    const second = await bash("npx tsx examples/quickstart.ts", env());
    // Assess
    expect(block.text).toBe(file);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toMatch(/^\d+ \d+ user-42 hello$/m);
    expect(second.code).toBe(0);
    expect(second.stdout.trim().split("\n")).toHaveLength(1); // only the record it just sent
  });

  it("runs the README's CLI block (npm run pack:client aside), stdout only Floe's", {
    timeout: 120_000,
  }, async () => {
    // Prepare
    const block = codeBlocks(readme).find((b) => b.text.startsWith("npx floe topics list"))!;
    const script = block.text
      .split("\n")
      .filter((l) => !l.startsWith("npm run pack:client"))
      .join("\n");
    // Act
    const ran = await bash(localize(script), env());
    // Assess
    expect(ran.code).toBe(0);
    expect(ran.stderr).not.toMatch(/^floe: /m);
    expect(ran.stdout).toContain("produced 1 record ");
    expect(ran.stdout).not.toContain("> floe@"); // no npm banner
  });

  it("runs docs/cli.md's first block", { timeout: 120_000 }, async () => {
    // Prepare
    const block = codeBlocks(cliDoc).find((b) => b.text.startsWith("export FLOE_URL"))!;
    // Act
    const ran = await bash(localize(block.text), {});
    // Assess
    expect(ran.code).toBe(0);
    expect(ran.stderr).not.toMatch(/^floe: /m);
    expect(ran.stdout).toContain("dry run");
    expect(ran.stdout).toMatch(/topic "orders" with \d+ partitions/);
  });

  it("links only files that exist in the repository", () => {
    // Act
    const links = [...readme.matchAll(/\]\(([^)#]+)/g), ...cliDoc.matchAll(/\]\(([^)#]+)/g)].map(
      (m) => m[1]!,
    );
    // Assess
    for (const link of links.filter((l) => !l.startsWith("http"))) {
      expect(existsSync(join(repo, link)) || existsSync(join(repo, "docs", link)), link).toBe(true);
    }
  });
});
