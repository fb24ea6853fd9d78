/**
 * Replaces functions/src/local/standins.ts in the container image (see build-agent.ts). The
 * embedded stand-ins (dynalite, s3rver) are development tools: the image runs with
 * FLOE_STORAGE=aws only and does not carry them.
 */
import type { StandInOptions, StandIns } from "../../functions/src/local/standins.js";

export async function startStandIns(_options: StandInOptions): Promise<StandIns> {
  throw new Error(
    "this image has no embedded stand-ins: run it with FLOE_STORAGE=aws, FLOE_BUCKET and FLOE_TABLE",
  );
}
