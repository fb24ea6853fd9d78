/**
 * The web console's static assets (docs/console.md), served at /console by the same app as the
 * API. The files are built at build time (console/build.ts, esbuild) and read into memory once at
 * startup: a fixed, small set, so the byte budget is the built files themselves (checked below).
 *
 * Every asset goes out with a strict Content-Security-Policy: scripts and styles only from this
 * origin (no inline script, no eval), API calls only to this origin, nothing framed or posted.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join } from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { FloeError } from "../../../client/src/errors.js";
import { errorResponse } from "./errors.js";

export interface ConsoleAsset {
  body: Uint8Array<ArrayBuffer>;
  contentType: string;
}

/** File name (e.g. "console.js") to its bytes; "index.html" is the page. */
export type ConsoleAssets = Map<string, ConsoleAsset>;

/** Refuse to hold more than this in memory for the console (the built files are ~250 KB). */
export const CONSOLE_ASSET_BYTES_MAX = 4 * 1024 * 1024;

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const CONTENT_TYPES: ReadonlyMap<string, string> = new Map([
  [".html", "text/html; charset=utf-8"],
  [".js", "text/javascript; charset=utf-8"],
  [".css", "text/css; charset=utf-8"],
  [".svg", "image/svg+xml"],
  [".map", "application/json"],
]);

/**
 * Reads a built console directory; undefined when it does not exist (not built). Only flat files
 * with a known type are taken.
 */
export function loadConsoleAssets(dir: string): ConsoleAssets | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const assets: ConsoleAssets = new Map();
  let bytes = 0;
  for (const name of names.sort()) {
    const contentType = CONTENT_TYPES.get(extname(name));
    const path = join(dir, name);
    if (contentType === undefined || !statSync(path).isFile()) continue;
    const body = new Uint8Array(readFileSync(path));
    bytes += body.byteLength;
    if (bytes > CONSOLE_ASSET_BYTES_MAX)
      throw new Error(`console assets in ${dir} exceed ${CONSOLE_ASSET_BYTES_MAX} bytes`);
    assets.set(name, { body, contentType });
  }
  return assets.has("index.html") ? assets : undefined;
}

function assetResponse(asset: ConsoleAsset, method: string): Response {
  return new Response(method === "HEAD" ? null : asset.body, {
    status: 200,
    headers: {
      "Content-Type": asset.contentType,
      "Content-Security-Policy": CONSOLE_CSP,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cache-Control": "no-cache",
    },
  });
}

/**
 * Mounts GET /console and /console/<file>. Register before authentication: the assets hold no
 * data (the page asks for a token when the API wants one); every API call it makes is checked.
 * Without assets (not built), /console says how to build them.
 */
export function registerConsoleRoutes(app: OpenAPIHono, assets: ConsoleAssets | undefined): void {
  const missing = () =>
    errorResponse(
      new FloeError("route_not_found", "the console is not built: run `npm run build:console`", {
        path: "/console",
      }),
    );
  const page = (method: string) => {
    const index = assets?.get("index.html");
    return index ? assetResponse(index, method) : missing();
  };
  app.get("/console", (c) => page(c.req.method));
  app.get("/console/", (c) => page(c.req.method));
  app.get("/console/:file", (c) => {
    const asset = assets?.get(c.req.param("file"));
    if (asset) return assetResponse(asset, c.req.method);
    const shown = c.req.path.slice(0, 300);
    return assets
      ? errorResponse(new FloeError("route_not_found", `no console asset ${shown}`, { path: shown }))
      : missing();
  });
}
