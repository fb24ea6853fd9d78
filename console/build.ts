/**
 * Builds the web console into static files (docs/console.md): one esbuild bundle of
 * console/src/main.ts with the TypeScript SDK inside (pure-JS LZ4: lz4-napi is left out), plus the
 * page, the stylesheet and the icon copied as they are. Nothing is fetched at run time.
 *
 *   npx tsx console/build.ts [outDir]      (default console/dist; `npm start` runs it first)
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const SOURCE_DIR = fileURLToPath(new URL("./src/", import.meta.url));
export const DEFAULT_OUT_DIR = fileURLToPath(new URL("./dist/", import.meta.url));
const COPIED = ["index.html", "console.css", "favicon.svg"];

export async function buildConsole(outDir: string = DEFAULT_OUT_DIR): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(SOURCE_DIR, "main.ts")],
    bundle: true,
    platform: "browser",
    format: "esm",
    target: "es2022",
    // The SDK tries lz4-napi only where a Node `require` exists; the browser uses lz4js.
    external: ["lz4-napi"],
    minify: true,
    sourcemap: "linked",
    outfile: join(outDir, "console.js"),
    logLevel: "warning",
  });
  for (const name of COPIED) copyFileSync(join(SOURCE_DIR, name), join(outDir, name));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildConsole(process.argv[2] ? resolve(process.argv[2]) : DEFAULT_OUT_DIR);
}
