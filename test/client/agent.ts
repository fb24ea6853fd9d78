/**
 * A real Floe agent for client tests: the runtime (engine, batcher, groups, HTTP app) on the S3 and
 * DynamoDB stand-ins, served over HTTP on a free port, with a bucket and table of its own.
 *
 *   const agent = useAgent();
 *   it("...", async () => { const client = new FloeClient({ url: agent().url }); ... });
 */
import { afterAll, beforeAll } from "vitest";
import { startServer } from "../../functions/src/agent/serve.js";
import { loadConfig } from "../../functions/src/config.js";
import { createRuntime, type Runtime } from "../../functions/src/runtime.js";
import { startTestStandIns, type TestStandIns } from "../support/standins.js";

export interface TestAgent {
  url: string;
  runtime: Runtime;
  standIns: TestStandIns;
  stop(): Promise<void>;
}

/** Starts stand-ins and one agent; `env` overrides configuration (e.g. FLOE_LINGER_MS). */
export async function startAgent(env: Record<string, string> = {}): Promise<TestAgent> {
  const standIns = await startTestStandIns();
  try {
    const config = loadConfig(
      { FLOE_LINGER_MS: "5", ...env },
      { storage: "embedded", platform: "container" },
    );
    const manifest = await standIns.newManifestStore();
    const runtime = createRuntime(config, { objects: await standIns.newObjectStore(), manifest });
    const server = await startServer(runtime, "127.0.0.1", 0);
    return {
      url: server.url,
      runtime,
      standIns,
      async stop() {
        await server.close();
        await standIns.stop();
      },
    };
  } catch (error) {
    await standIns.stop();
    throw error;
  }
}

/** One agent per test file (or describe block), started in beforeAll. */
export function useAgent(env: Record<string, string> = {}): () => TestAgent {
  let agent: TestAgent | undefined;
  beforeAll(async () => {
    agent = await startAgent(env);
  });
  afterAll(async () => {
    await agent?.stop();
    agent = undefined;
  });
  return () => {
    if (!agent) throw new Error("the agent is not running: use it inside a test or hook");
    return agent;
  };
}

let counter = 0;
/** A topic name no other test in the file uses. */
export function topicName(prefix = "t"): string {
  counter++;
  return `${prefix}-${process.pid}-${counter}-${Math.random().toString(36).slice(2, 8)}`;
}
