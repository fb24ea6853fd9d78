/**
 * What the console's browser test needs: an agent serving a freshly built console (in-memory
 * stores, a real HTTP server on a free port) and headless Chromium driven by puppeteer-core.
 * Every wait is on a DOM condition; timeouts are only upper bounds.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { buildConsole } from "../../console/build.js";
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import { type RunningServer, startServer } from "../../functions/src/agent/serve.js";
import { loadConfig } from "../../functions/src/config.js";
import { loadConsoleAssets } from "../../functions/src/http/console-assets.js";
import { createRuntime } from "../../functions/src/runtime.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Upper bound of any one wait on the page (the SSE tail shows a record well within it). */
export const WAIT_MS = 20_000;

/** Builds the console once per test file (esbuild: well under a second). */
let built: Promise<string> | undefined;
function consoleDir(): Promise<string> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "floe-console-"));
    await buildConsole(dir);
    return dir;
  })();
  return built;
}

/** An agent on in-memory stores serving the console; `env` adds configuration (FLOE_API_TOKENS). */
export async function startConsoleAgent(env: Record<string, string> = {}): Promise<RunningServer> {
  const dir = await consoleDir();
  const config = loadConfig({ FLOE_LINGER_MS: "5", ...env }, { storage: "embedded", platform: "container" });
  const runtime = createRuntime(
    config,
    { objects: new MemoryObjectStore(), manifest: new MemoryManifestStore() },
    { console: { assets: loadConsoleAssets(dir) } },
  );
  return startServer(runtime, "127.0.0.1", 0);
}

export function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--headless=new", "--disable-gpu", "--disable-dev-shm-usage"],
  });
}

/** Everything the page reported as an error: console.error, CSP violations, uncaught exceptions. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => errors.push(`pageerror: ${String(error)}`));
  return errors;
}

/** Presses Tab until the focus is on `selector` (at most `presses` times); the keyboard path to it. */
export async function tabTo(page: Page, selector: string, presses = 80): Promise<void> {
  for (let i = 0; i < presses; i++) {
    if (await page.evaluate((s: string) => document.activeElement?.matches(s) ?? false, selector)) return;
    await page.keyboard.press("Tab");
  }
  throw new Error(`${selector} is not reachable with Tab`);
}

/** Form controls without a label, and buttons without text (accessible names missing). */
export function unlabelled(page: Page): Promise<string[]> {
  return page.evaluate(() => [
    ...Array.from(document.querySelectorAll("input, select, textarea"))
      .filter((c) => (c as HTMLInputElement).labels?.length === 0 && !c.getAttribute("aria-label"))
      .map((c) => c.outerHTML),
    ...Array.from(document.querySelectorAll("button"))
      .filter((b) => (b.textContent ?? "").trim() === "")
      .map((b) => b.outerHTML),
  ]);
}

/** Waits until `selector` matches an element whose text content equals (or includes) `text`. */
export async function waitForText(page: Page, selector: string, text: string, exact = true): Promise<void> {
  await page.waitForFunction(
    (s: string, t: string, e: boolean) =>
      Array.from(document.querySelectorAll(s)).some((n) =>
        e ? n.textContent?.trim() === t : (n.textContent ?? "").includes(t),
      ),
    { timeout: WAIT_MS },
    selector,
    text,
    exact,
  );
}
