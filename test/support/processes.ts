/**
 * Real processes for multi-agent tests and benchmarks: the stand-ins in one child process and
 * any number of agents in others, sharing them as separate deployments would. Children are
 * killed with the test (SIGKILL on exit), so nothing outlives a run.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const TSX = ["--import", "tsx"];
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

export interface Spawned {
  child: ChildProcess;
  /** Everything the child wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** SIGTERM (graceful) by default; resolves when the process has exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function spawnNode(
  entry: string,
  env: Record<string, string>,
  waitFor: RegExp,
  timeoutMs = 30_000,
): Promise<Spawned & { match: RegExpMatchArray }> {
  const child = spawn(process.execPath, [...TSX, join(ROOT, entry)], {
    cwd: ROOT,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let out = "";
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  void exited.then(() => children.delete(child));
  const spawned: Spawned = {
    child,
    output: () => out,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${entry} did not start within ${timeoutMs} ms:\n${out}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = out.match(waitFor);
      if (match) {
        clearTimeout(timer);
        resolveStart({ ...spawned, match });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${entry} exited (${code ?? signal}) before it was ready:\n${out}`));
    });
  });
}

export interface StandInProcess extends Spawned {
  s3Endpoint: string;
  dynamodbEndpoint: string;
  bucket: string;
  table: string;
  /** Environment that points an agent (FLOE_STORAGE=aws) at these stand-ins. */
  agentEnv: Record<string, string>;
}

export async function spawnStandIns(): Promise<StandInProcess> {
  const dataDir = mkdtempSync(join(tmpdir(), "floe-standins-"));
  const bucket = "floe-segments";
  const table = "floe-manifest";
  const s = await spawnNode(
    "functions/src/local/standins-main.ts",
    {
      FLOE_S3_PORT: "0",
      FLOE_DYNAMODB_PORT: "0",
      FLOE_DATA_DIR: dataDir,
      FLOE_BUCKET: bucket,
      FLOE_TABLE: table,
    },
    /s3 (http:\S+)\ndynamodb (http:\S+)\n/,
  );
  const [, s3Endpoint, dynamodbEndpoint] = s.match as unknown as [string, string, string];
  return {
    ...s,
    s3Endpoint,
    dynamodbEndpoint,
    bucket,
    table,
    agentEnv: {
      FLOE_STORAGE: "aws",
      FLOE_BUCKET: bucket,
      FLOE_TABLE: table,
      AWS_ENDPOINT_URL_S3: s3Endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbEndpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "S3RVER",
      AWS_SECRET_ACCESS_KEY: "S3RVER",
    },
    async stop(signal?: NodeJS.Signals) {
      await s.stop(signal);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface AgentProcess extends Spawned {
  url: string;
}

/** Starts `npm start`'s entry point as its own process with `env` (port chosen by the OS). */
export async function spawnAgent(env: Record<string, string>): Promise<AgentProcess> {
  const a = await spawnNode(
    "functions/src/agent/main.ts",
    { FLOE_PORT: "0", ...env },
    /listening on (http:\/\/\S+)/,
  );
  return { ...a, url: a.match[1]! };
}
