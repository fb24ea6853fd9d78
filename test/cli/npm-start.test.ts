/**
 * `npm start` as a newcomer runs it: SIGTERM to the npm process (what `kill`, systemd or a
 * container runtime sends) must stop the agent itself, not just npm (npm's `sh -c` used to die
 * and leave the agent running, holding the port and the data dir).
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const repo = fileURLToPath(new URL("../..", import.meta.url));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Resolves once `pid` is gone, or with false after `boundMs` (a bound on failure, not a verdict on speed). */
async function exits(pid: number, boundMs: number): Promise<boolean> {
  for (let waited = 0; waited < boundMs; waited += 100) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return !alive(pid);
}

describe("npm start", () => {
  const leftovers: number[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const pid of leftovers) if (alive(pid)) process.kill(pid, "SIGKILL");
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("stops the agent itself on SIGTERM to the npm process, releasing the data dir", async () => {
    // Prepare
    const dataDir = await mkdtemp(join(tmpdir(), "floe-npm-start-"));
    dirs.push(dataDir);
    const npm = spawn("npm", ["start"], {
      cwd: repo,
      env: { ...process.env, FLOE_DATA_DIR: dataDir, FLOE_PORT: "0", FLOE_KAFKA_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    npm.stderr.resume();
    leftovers.push(npm.pid!);
    let out = "";
    await new Promise<void>((resolve, reject) => {
      npm.stdout.setEncoding("utf8").on("data", (d: string) => {
        out += d;
        if (out.includes("floe agent listening on")) resolve();
      });
      npm.on("exit", () => reject(new Error(`npm start ended early: ${out}`)));
    });
    const agentPid = Number((await readFile(join(dataDir, "floe.lock"), "utf8")).trim());
    leftovers.push(agentPid);
    const npmExited = new Promise((resolve) => npm.on("exit", resolve));
    // Act
    npm.kill("SIGTERM");
    await npmExited;
    const agentExited = await exits(agentPid, 60_000);
    // Assess
    expect(agentPid).not.toBe(npm.pid);
    expect(agentExited).toBe(true);
    await expect(readFile(join(dataDir, "floe.lock"), "utf8")).rejects.toThrow(/ENOENT/);
  }, 90_000);
});
