/**
 * The published package: `npm pack ./client` must yield a tarball that installs on its own (no
 * network, no other dependency: lz4-napi is optional and the pure-JS LZ4 takes over) and whose
 * `floe` runs against a real agent, and whose module entry exports the client, to `import` and
 * to `require` (a CommonJS build ships too).
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, expect, it } from "vitest";
import { useAgent } from "./agent.js";

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, "../..");
const agent = useAgent();
const dir = mkdtempSync(join(tmpdir(), "floe-pack-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A build, a pack and an npm install: tens of seconds when cores are shared, past the default 60 s
 * when they are busy. The verdict is about the package, not its speed.
 */
const PACKAGE_TEST_TIMEOUT_MS = 300_000;

it("packs, installs offline and runs floe and the module entry", {
  timeout: PACKAGE_TEST_TIMEOUT_MS,
}, async () => {
  // Prepare: build and pack exactly what `npm run pack:client` ships.
  await run("npm", ["run", "build:client"], { cwd: ROOT });
  await run("npm", ["pack", "./client", "--pack-destination", dir], { cwd: ROOT });
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "consumer-app", private: true, type: "module" }),
  );
  await run("npm", ["install", "--offline", "--omit=optional", "--no-audit", "--no-fund", `./${tarball}`], {
    cwd: dir,
  });
  // Act
  const created = await run(
    join(dir, "node_modules/.bin/floe"),
    ["--url", agent().url, "--json", "topics", "create", "packed", "-p", "2"],
    { cwd: dir },
  );
  const listed = await run(
    join(dir, "node_modules/.bin/floe"),
    ["topics", "list", "--url", agent().url, "--json"],
    { cwd: dir },
  );
  const script = `import { FloeClient, FloeError } from "floe-client";
const client = new FloeClient({ url: ${JSON.stringify(agent().url)} });
const producer = client.producer({ compression: "lz4" });
const ack = await producer.send("packed", { key: "k", value: "from the package" });
await producer.close();
console.log(JSON.stringify({ ack, isError: typeof FloeError }));`;
  writeFileSync(join(dir, "use.mjs"), script);
  const used = await run(process.execPath, ["use.mjs"], { cwd: dir });
  // CommonJS programs require() the same package (dist/index.cjs).
  writeFileSync(
    join(dir, "use.cjs"),
    `const { FloeClient, text } = require("floe-client");
new FloeClient({ url: ${JSON.stringify(agent().url)} }).admin.listTopics()
  .then((topics) => console.log(JSON.stringify({ names: topics.map((t) => t.name), text: text(new Uint8Array([104, 105])) })));`,
  );
  const required = await run(process.execPath, ["use.cjs"], { cwd: dir });
  // Assess
  expect(JSON.parse(created.stdout)).toMatchObject({ name: "packed" });
  expect(JSON.stringify(JSON.parse(listed.stdout))).toContain("packed");
  expect(JSON.parse(used.stdout)).toMatchObject({ ack: { topic: "packed", offset: 0 }, isError: "function" });
  expect(JSON.parse(required.stdout)).toEqual({ names: expect.arrayContaining(["packed"]), text: "hi" });
});
