/**
 * Bundles the container agent into one ESM file plus lz4-napi (loader and native binary), which
 * is everything the image runs: `tsx infra/container/build-agent.ts <outDir>`.
 *
 * The agent's entry imports the embedded stand-ins statically; they load dynalite and s3rver
 * (development dependencies with native LevelDB bindings) at import time, so the bundle swaps
 * that module for no-standins.ts. lz4-napi stays external (a `.node` file cannot be bundled) and
 * is copied with whatever platform binary npm installed here. The web console is built beside it
 * (./console/).
 */
import { cpSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";
import { buildConsole } from "../../console/build.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");

const withoutStandIns: Plugin = {
  name: "floe-without-stand-ins",
  setup(builder) {
    builder.onResolve({ filter: /\/local\/standins\.js$/ }, () => ({ path: join(here, "no-standins.ts") }));
  },
};

export async function buildAgent(outDir: string): Promise<string> {
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, "agent.mjs");
  await build({
    entryPoints: [join(root, "functions/src/agent/main.ts")],
    outfile,
    bundle: true,
    platform: "node",
    target: "node22",
    format: "esm",
    mainFields: ["module", "main"],
    sourcemap: true,
    sourcesContent: false,
    minify: true,
    external: ["lz4-napi"],
    plugins: [withoutStandIns],
    // ESM output has no `require`; the SDK's CommonJS parts and the lz4-napi loader need one.
    banner: {
      js: "import { createRequire as __floeCreateRequire } from 'node:module'; const require = __floeCreateRequire(import.meta.url);",
    },
    logLevel: "warning",
  });
  copyLz4(join(root, "node_modules"), join(outDir, "node_modules"));
  // The web console's static files, which the agent serves at /console (docs/console.md).
  await buildConsole(join(outDir, "console"));
  return outfile;
}

function copyLz4(from: string, to: string): void {
  cpSync(join(from, "lz4-napi"), join(to, "lz4-napi"), { recursive: true });
  const scope = join(from, "@antoniomuso");
  if (!existsSync(scope)) return;
  for (const name of readdirSync(scope)) {
    if (name.startsWith("lz4-napi-"))
      cpSync(join(scope, name), join(to, "@antoniomuso", name), { recursive: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2];
  if (!outDir) {
    process.stderr.write("usage: tsx infra/container/build-agent.ts <outDir>\n");
    process.exit(2);
  }
  await buildAgent(resolve(outDir));
}
