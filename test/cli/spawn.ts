/**
 * Runs the real `floe` executable in a child process, with real stdin, stdout and stderr.
 *
 * The CLI is bundled once per test file with esbuild — the same single-file bundle the package
 * ships as its `bin` — so the tests exercise what users run, and each spawn starts in ~0.1 s
 * instead of compiling TypeScript again. The bundle sits under node_modules/.cache so that the
 * optional native LZ4 module still resolves from it.
 */
import { spawn } from "node:child_process";
import { mkdir, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { afterAll } from "vitest";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const main = fileURLToPath(new URL("../../client/src/cli/main.ts", import.meta.url));
const cacheDir = fileURLToPath(new URL("../../node_modules/.cache/floe-cli-test/", import.meta.url));

let bundled: Promise<string> | undefined;

// Vitest ends its workers without an "exit" event: remove the bundle when the file is done.
afterAll(async () => {
  if (bundled) await rm(await bundled, { force: true });
  bundled = undefined;
});

/** Bundles client/src/cli/main.ts into one ESM file (once per process). */
export function bundleCli(): Promise<string> {
  bundled ??= (async () => {
    await mkdir(cacheDir, { recursive: true });
    const outfile = `${cacheDir}floe-${process.pid}.mjs`;
    await build({
      entryPoints: [main],
      outfile,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      external: ["lz4-napi"],
      logLevel: "error",
    });
    return outfile;
  })();
  return bundled;
}

export interface FloeRun {
  code: number | null;
  stdout: string;
  /** stdout as bytes, exactly as written (raw record values). */
  stdoutBytes: Buffer;
  stderr: string;
}

/** Spawns `floe args...`, feeding `stdin` and collecting the output. */
export async function floe(
  args: string[],
  options: { url?: string; stdin?: string; env?: Record<string, string> } = {},
): Promise<FloeRun> {
  const bin = await bundleCli();
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, ...options.env };
    if (options.url !== undefined) env.FLOE_URL = options.url;
    delete env.FLOE_TOKEN;
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: repo,
      env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    const chunks: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => {
      chunks.push(d);
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const stdoutBytes = Buffer.concat(chunks);
      resolve({ code, stdout: stdoutBytes.toString("utf8"), stdoutBytes, stderr });
    });
    child.stdin.end(options.stdin ?? "");
  });
}
