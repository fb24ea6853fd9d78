/**
 * The benchmark's processes: the stand-ins (dynalite + s3rver) in one child process, a counting
 * forwarder per stand-in (in the bench process), and agents as their own child processes
 * (`npm start`'s entry point) talking to the stand-ins only through the forwarders. Agent CPU is
 * read from /proc/<pid>/stat (utime + stime of the agent process alone), so no agent code is
 * involved and the stand-ins' and the load generators' CPU is not counted.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import {
  type AgentProcess,
  type StandInProcess,
  spawnAgent,
  spawnStandIns,
} from "../../test/support/processes.js";
import { type CountingProxy, startCountingProxy } from "./counting-proxy.js";

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ: 100 on Linux). */
const CLOCK_TICKS = 100;

export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces, so split after its closing paren).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime and stime are fields 14 and 15 of stat(5); fields[0] here is field 3 (state).
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export interface BenchAgent {
  url: string;
  /** host:port of its Kafka listener. */
  broker: string;
  pid: number;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

export interface BenchCluster {
  standIns: StandInProcess;
  s3: CountingProxy;
  dynamodb: CountingProxy;
  /** Client settings for talking to the stand-ins through the forwarders (the raw baselines). */
  aws: { s3Endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  bucket: string;
  startAgent(env?: Record<string, string>): Promise<BenchAgent>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function startCluster(): Promise<BenchCluster> {
  const standIns = await spawnStandIns();
  const s3 = await startCountingProxy(standIns.s3Endpoint, "s3");
  const dynamodb = await startCountingProxy(standIns.dynamodbEndpoint, "dynamodb");
  const agents: AgentProcess[] = [];
  return {
    standIns,
    s3,
    dynamodb,
    bucket: standIns.bucket,
    aws: {
      s3Endpoint: s3.url,
      region: "us-east-1",
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    },
    async startAgent(env = {}) {
      const kafkaPort = await freePort();
      const agent = await spawnAgent({
        ...standIns.agentEnv,
        AWS_ENDPOINT_URL_S3: s3.url,
        AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
        FLOE_HOST: "127.0.0.1",
        FLOE_KAFKA_PORT: String(kafkaPort),
        ...env,
      });
      agents.push(agent);
      const pid = agent.child.pid!;
      return {
        url: agent.url,
        broker: `127.0.0.1:${kafkaPort}`,
        pid,
        cpuSeconds: () => processCpuSeconds(pid),
        stop: () => agent.stop(),
      };
    },
    async stop() {
      await Promise.all(agents.map((a) => a.stop()));
      await s3.close();
      await dynamodb.close();
      await standIns.stop();
    },
  };
}
