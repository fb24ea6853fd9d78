/** Runs the real `floe` executable in a child process, with real stdin, stdout and stderr. */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const repo = fileURLToPath(new URL("../..", import.meta.url));
const main = fileURLToPath(new URL("../../client/src/cli/main.ts", import.meta.url));

export interface FloeRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Spawns `floe args...` (through tsx, as the sources are TypeScript), feeding `stdin` and
 * collecting the output.
 */
export function floe(
  args: string[],
  options: { url?: string; stdin?: string; env?: Record<string, string> } = {},
): Promise<FloeRun> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, ...options.env };
    if (options.url !== undefined) env.FLOE_URL = options.url;
    delete env.FLOE_TOKEN;
    const child = spawn(process.execPath, ["--import", "tsx", main, ...args], {
      cwd: repo,
      env,
      stdio: ["pipe", "pipe", "pipe"],
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
    child.stdin.end(options.stdin ?? "");
  });
}
