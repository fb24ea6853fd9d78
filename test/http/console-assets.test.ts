/**
 * The console's static route (functions/src/http/console-assets.ts) through the real app: the
 * page and its files with a strict CSP, reachable without a token while the API still needs one,
 * a clear 404 for a missing file or an unbuilt console, and the assets' byte budget at its bound.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import { loadConfig } from "../../functions/src/config.js";
import {
  CONSOLE_ASSET_BYTES_MAX,
  CONSOLE_CSP,
  type ConsoleAssets,
  loadConsoleAssets,
} from "../../functions/src/http/console-assets.js";
import { createRuntime } from "../../functions/src/runtime.js";

function assetsDir(files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(join(tmpdir(), "floe-console-assets-"));
  for (const [name, body] of Object.entries(files)) writeFileSync(join(dir, name), body);
  return dir;
}

function app(assets: ConsoleAssets | undefined, tokens = "") {
  const config = loadConfig(
    { FLOE_LINGER_MS: "0", ...(tokens ? { FLOE_API_TOKENS: tokens } : {}) },
    { storage: "embedded", platform: "container" },
  );
  return createRuntime(
    config,
    { objects: new MemoryObjectStore(), manifest: new MemoryManifestStore() },
    { console: { assets } },
  ).app;
}

describe("console assets", () => {
  const dir = assetsDir({
    "index.html": "<!doctype html><title>x</title>",
    "console.js": "export {};",
    "console.css": "body{}",
    "notes.txt": "not served",
  });

  it("serves the page and its files with a strict CSP, without a token", async () => {
    const served = app(loadConsoleAssets(dir), "secret");
    for (const [path, type] of [
      ["/console", "text/html; charset=utf-8"],
      ["/console/", "text/html; charset=utf-8"],
      ["/console/console.js", "text/javascript; charset=utf-8"],
      ["/console/console.css", "text/css; charset=utf-8"],
    ] as const) {
      const response = await served.request(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get("content-type")).toBe(type);
      expect(response.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    }
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toMatch(/unsafe-(inline|eval)/);
    // The API itself still wants the token.
    const api = await served.request("/v1/topics");
    expect(api.status).toBe(401);
    expect((await api.json()).error_code).toBe("unauthenticated");
  });

  it("answers a file it does not have, or an unbuilt console, with the table's 404", async () => {
    const missingFile = await app(loadConsoleAssets(dir)).request("/console/notes.txt");
    expect(missingFile.status).toBe(404);
    expect((await missingFile.json()).error_code).toBe("route_not_found");
    const unbuilt = await app(loadConsoleAssets(join(dir, "absent"))).request("/console");
    expect(unbuilt.status).toBe(404);
    const body = await unbuilt.json();
    expect(body.error_code).toBe("route_not_found");
    expect(body.message).toContain("npm run build:console");
  });

  it("is not mounted where the entry point does not serve it (Lambda, plain tests)", async () => {
    const config = loadConfig({ FLOE_LINGER_MS: "0" }, { storage: "embedded", platform: "container" });
    const bare = createRuntime(config, {
      objects: new MemoryObjectStore(),
      manifest: new MemoryManifestStore(),
    });
    expect((await bare.app.request("/console")).status).toBe(404);
  });

  it("holds at most CONSOLE_ASSET_BYTES_MAX bytes of assets", () => {
    const atBound = assetsDir({
      "index.html": "<!doctype html>",
      "console.js": new Uint8Array(CONSOLE_ASSET_BYTES_MAX - "<!doctype html>".length),
    });
    expect(loadConsoleAssets(atBound)?.size).toBe(2);
    writeFileSync(join(atBound, "console.css"), "x");
    expect(() => loadConsoleAssets(atBound)).toThrow(/exceed/);
  });
});
