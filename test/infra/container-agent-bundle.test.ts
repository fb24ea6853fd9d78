/**
 * The container image's contents without Docker: infra/container/build-agent.ts (the Dockerfile's
 * build step) bundles the agent, the bundle runs in a fresh Node process from its own directory
 * with FLOE_STORAGE=aws against the stand-ins, serves a produce and a fetch with bearer-token
 * auth (as behind the load balancer), and drains on SIGTERM. What Docker adds (npm ci on the
 * image's platform, the base image) is not exercised here.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBucket, ensureTable } from "../../functions/src/adapters/aws/ensure-resources.js";
import { ENV } from "../../functions/src/config.js";
import { buildAgent } from "../../infra/container/build-agent.js";
import { uniqueName, useStandIns } from "../support/standins.js";

const TOKEN = "test-token-0123456789";
const standIns = useStandIns();
let outDir: string;
let agent: ChildProcess | undefined;
let url: string;
let exited: Promise<number | null>;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), "floe-agent-image-"));
  await buildAgent(outDir);
  const bucket = uniqueName("bucket");
  const table = uniqueName("table");
  await ensureBucket(standIns().s3, bucket);
  await ensureTable(standIns().dynamodb, table);
  const child = spawn(process.execPath, ["agent.mjs"], {
    cwd: outDir,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      [ENV.storage]: "aws",
      [ENV.platform]: "container",
      [ENV.host]: "127.0.0.1",
      [ENV.port]: "0",
      [ENV.bucket]: bucket,
      [ENV.table]: table,
      [ENV.region]: "us-east-1",
      [ENV.s3Endpoint]: standIns().s3Endpoint,
      [ENV.dynamodbEndpoint]: standIns().dynamodbEndpoint,
      [ENV.apiTokens]: TOKEN,
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
    },
  });
  agent = child;
  exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  url = await new Promise<string>((resolve, reject) => {
    let output = "";
    const onData = (d: Buffer) => {
      output += d.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`agent exited with ${code} before listening:\n${output}`)));
  });
}, 120_000);

afterAll(async () => {
  if (agent && agent.exitCode === null) agent.kill("SIGKILL");
  rmSync(outDir, { recursive: true, force: true });
});

const auth = { authorization: `Bearer ${TOKEN}` };

describe("the container agent bundle", () => {
  it("carries no stand-ins and ships lz4-napi with this platform's binary", () => {
    // Prepare / Act
    const bundle = readFileSync(join(outDir, "agent.mjs"), "utf8");

    // Assess
    expect(bundle).not.toContain("dynalite");
    expect(bundle).toContain("this image has no embedded stand-ins");
    expect(existsSync(join(outDir, "node_modules", "lz4-napi", "index.js"))).toBe(true);
    expect(
      existsSync(join(outDir, "node_modules", "@antoniomuso", `lz4-napi-linux-${process.arch}-gnu`)),
    ).toBe(true);
  });

  it("serves health without a token, and produce and fetch with one, against AWS-style storage", async () => {
    // Prepare
    const topic = uniqueName("agent");

    // Act
    const health = await fetch(`${url}/healthz`);
    const anonymous = await fetch(`${url}/v1/topics`);
    const created = await fetch(`${url}/v1/topics`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ name: topic, partitions: 1 }),
    });
    const produced = await fetch(`${url}/v1/topics/${topic}/partitions/0/records`, {
      method: "POST",
      headers: { ...auth, "content-type": "application/json" },
      body: JSON.stringify({ records: [{ value: "from the image" }] }),
    });
    const fetched = await fetch(`${url}/v1/topics/${topic}/partitions/0/records?offset=0`, { headers: auth });

    // Assess
    expect(health.status).toBe(200);
    expect(anonymous.status).toBe(401);
    expect(created.status).toBe(201);
    expect(produced.status).toBe(200);
    const reply = (await fetched.json()) as { records: Array<{ value: string }> };
    expect(reply.records.map((r) => r.value)).toEqual(["from the image"]);
  });

  it("serves the web console from its own directory, without a token, with a strict CSP", async () => {
    // Prepare / Act
    const page = await fetch(`${url}/console`);
    const script = await fetch(`${url}/console/console.js`);

    // Assess
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await page.text()).toContain("/console/console.js");
    expect(script.status).toBe(200);
    expect(script.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  });

  it("exits cleanly on SIGTERM (ECS stops tasks with it)", async () => {
    // Prepare
    expect(agent?.exitCode).toBeNull();

    // Act
    agent?.kill("SIGTERM");
    const code = await exited;

    // Assess
    expect(code).toBe(0);
  });
});
