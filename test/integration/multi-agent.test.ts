/**
 * Agents as separate processes sharing one set of stand-ins (also separate), as separate
 * deployments would: concurrent appends to one partition through every agent, an agent killed
 * with SIGKILL mid-flush, and a graceful SIGTERM that must answer everything it accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seededRandom } from "../support/faults.js";
import { checkHistory, formatReport } from "../support/history.js";
import { finalHttpRead, runHttpWorkload } from "../support/http-history.js";
import { type AgentProcess, type StandInProcess, spawnAgent, spawnStandIns } from "../support/processes.js";

let standIns: StandInProcess;

beforeAll(async () => {
  standIns = await spawnStandIns();
}, 60_000);

afterAll(async () => {
  await standIns?.stop();
});

async function createTopic(agent: string, name: string, partitions: number): Promise<void> {
  const res = await fetch(`${agent}/v1/topics`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, partitions }),
  });
  expect(res.status).toBe(201);
}

describe("several agent processes on shared stand-ins", () => {
  it("append concurrently to one partition and the checker finds nothing", async () => {
    // Prepare
    const agents = await Promise.all(
      [0, 1, 2].map(() => spawnAgent({ ...standIns.agentEnv, FLOE_LINGER_MS: "20" })),
    );
    try {
      await createTopic(agents[0]!.url, "shared", 1);
      // Act
      const history = await runHttpWorkload({
        agents: () => agents.map((a) => a.url),
        topic: "shared",
        partitions: 1,
        clients: 8,
        opsPerClient: 15,
        idempotentShare: 0.5,
        readShare: 0.15,
        random: seededRandom(42),
        maxRetries: 4,
      });
      const report = checkHistory(history, await finalHttpRead(agents[2]!.url, "shared", 1));
      // Assess
      if (report.anomalies.length > 0) throw new Error(formatReport(report));
      expect(report.counts.acknowledged).toBeGreaterThan(80);
    } finally {
      await Promise.all(agents.map((a) => a.stop()));
    }
  });

  it("lose no acknowledged record when an agent is killed mid-flush", async () => {
    // Prepare: a long linger keeps appends in the victim's memory when it dies.
    const victim = await spawnAgent({ ...standIns.agentEnv, FLOE_LINGER_MS: "150" });
    const survivor = await spawnAgent({ ...standIns.agentEnv, FLOE_LINGER_MS: "20" });
    let live: AgentProcess[] = [victim, survivor];
    try {
      await createTopic(survivor.url, "crash", 2);
      // Act: kill the victim with SIGKILL while clients are writing through it.
      const killer = new Promise<void>((resolve) =>
        setTimeout(() => {
          victim.child.kill("SIGKILL");
          live = [survivor];
          resolve();
        }, 600),
      );
      const history = await runHttpWorkload({
        agents: () => live.map((a) => a.url),
        topic: "crash",
        partitions: 2,
        clients: 6,
        opsPerClient: 20,
        idempotentShare: 0.5,
        readShare: 0.1,
        random: seededRandom(7),
        maxRetries: 4,
        requestTimeoutMs: 5_000,
      });
      await killer;
      const report = checkHistory(history, await finalHttpRead(survivor.url, "crash", 2));
      // Assess
      if (report.anomalies.length > 0) throw new Error(formatReport(report));
      expect(report.counts.acknowledged).toBeGreaterThan(50);
      expect(victim.child.signalCode).toBe("SIGKILL");
    } finally {
      await Promise.all([victim.stop("SIGKILL"), survivor.stop()]);
    }
  });

  it("flush and acknowledge every accepted append on SIGTERM", async () => {
    // Prepare: a linger far longer than the test, so only shutdown can flush.
    const agent = await spawnAgent({ ...standIns.agentEnv, FLOE_LINGER_MS: "10000" });
    const reader = await spawnAgent({ ...standIns.agentEnv });
    try {
      await createTopic(reader.url, "graceful", 1);
      const sends = Array.from({ length: 5 }, (_, i) =>
        fetch(`${agent.url}/v1/topics/graceful/partitions/0/records`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ records: [{ value: `g${i}` }] }),
        }),
      );
      await acceptedAppends(agent.url, 5); // the appends are accepted and lingering
      // Act
      agent.child.kill("SIGTERM");
      const replies = await Promise.all(sends);
      // Assess
      expect(replies.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      const final = await finalHttpRead(reader.url, "graceful", 1);
      expect(final[0]!.records.map((r) => r.value).sort()).toEqual(["g0", "g1", "g2", "g3", "g4"]);
    } finally {
      await Promise.all([agent.stop(), reader.stop()]);
    }
  });
});

/** Waits (no deadline of its own: the test's timeout bounds it) until the agent's batcher holds `n` appends. */
async function acceptedAppends(url: string, n: number): Promise<void> {
  for (;;) {
    const health = (await (await fetch(`${url}/healthz`)).json()) as { accepted_appends?: number };
    if ((health.accepted_appends ?? 0) >= n) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
