import type { ServerLimits } from "../config.js";
import type { Appender } from "../engine/append-types.js";
import type { HeadWatcher } from "../engine/head-watcher.js";
import type { FloeLog } from "../engine/log.js";
import type { GroupCoordinator } from "../groups/group-coordinator.js";
import type { Clock } from "../ports/clock.js";
import type { ConsoleAssets } from "./console-assets.js";
import type { ErrorLogger } from "./errors.js";

/** What the HTTP app needs; the container agent, the Lambda handlers and the tests each build one. */
export interface AppDeps {
  log: FloeLog;
  /** The engine itself (one object per request: Lambda) or the agent's batcher (containers). */
  appender: Appender;
  watcher: HeadWatcher;
  limits: ServerLimits;
  /** Bearer tokens accepted; empty = no authentication (local use). */
  apiTokens: string[];
  clock: Clock;
  platform: "container" | "lambda";
  /** Consumer groups (`/v1/groups`); routes are mounted only when given. */
  groups?: GroupCoordinator;
  /** Picks the sticky partition of keyless records; Math.random unless a test seeds it. */
  random?: () => number;
  /** Where unexpected exceptions are reported; stderr unless a test listens. */
  logError?: ErrorLogger;
  /** The web console at /console, when this entry point serves it (assets undefined: not built). */
  console?: { assets: ConsoleAssets | undefined };
  /** True once the agent drains for shutdown: /healthz answers 503 so balancers stop sending. */
  draining?: () => boolean;
  /** How often an idle Server-Sent Events stream pings (default 15 s). */
  ssePingMs?: number;
}
