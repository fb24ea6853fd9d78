/**
 * `npm start`'s promise: the agent on its embedded stand-ins keeps data across restarts.
 * The real entry point, as its own process, stopped with SIGTERM and started again on the same
 * data folder.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { spawnAgent } from "../support/processes.js";

it("keeps topics and records across a restart on the same data folder", async () => {
  // Prepare
  const dataDir = mkdtempSync(join(tmpdir(), "floe-embedded-"));
  const env = { FLOE_STORAGE: "embedded", FLOE_DATA_DIR: dataDir };
  try {
    const first = await spawnAgent(env);
    const created = await fetch(`${first.url}/v1/topics`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "durable", partitions: 1 }),
    });
    expect(created.status).toBe(201);
    const produced = await fetch(`${first.url}/v1/topics/durable/partitions/0/records`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ records: [{ key: "k", value: "survives" }] }),
    });
    expect(produced.status).toBe(200);
    // Act
    await first.stop("SIGTERM");
    const second = await spawnAgent(env);
    try {
      const res = await fetch(`${second.url}/v1/topics/durable/partitions/0/records?offset=0`);
      // Assess
      expect(res.status).toBe(200);
      const body = (await res.json()) as { records: { key: string; value: string; offset: number }[] };
      expect(body.records).toMatchObject([{ key: "k", value: "survives", offset: 0 }]);
    } finally {
      await second.stop();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
