#!/usr/bin/env node
/**
 * The `floe` executable: wires the process (argv, stdio, environment, signals) to `run`.
 * First Ctrl-C stops the command cleanly (a producer flushes, a consumer commits and leaves its
 * group); a second one exits at once.
 */
import { EXIT } from "./exit-codes.js";
import { run } from "./run.js";

const controller = new AbortController();
process.on("SIGINT", () => {
  if (controller.signal.aborted) process.exit(EXIT.interrupted);
  controller.abort();
});
// `floe consume t | head`: the reader went away; that is how such pipelines end, not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(EXIT.ok);
  throw error;
});

const code = await run(
  process.argv.slice(2),
  { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env },
  { signal: controller.signal },
);
process.exitCode = code;
