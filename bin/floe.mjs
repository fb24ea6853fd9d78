#!/usr/bin/env node
/**
 * `npx floe` inside this repository (the root package's `bin`): runs the CLI's TypeScript source
 * through tsx's loader, so stdout carries only Floe's output (no npm banner). Other projects get
 * the bundled `floe` from the floe-client package instead (npm run pack:client).
 */
import { register } from "tsx/esm/api";

register();
await import("../client/src/cli/main.ts");
