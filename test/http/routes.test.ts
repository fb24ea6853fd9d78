/** The route suite over the in-memory adapters and over dynalite + s3rver (real AWS adapters). */
import { describe } from "vitest";
import { useStandIns } from "../support/standins.js";
import { memoryBackend, standInBackend } from "./harness.js";
import { routeSuite } from "./routes.suite.js";

describe("HTTP routes over the in-memory adapters", () => {
  routeSuite(() => memoryBackend);
});

describe("HTTP routes over dynalite + s3rver", () => {
  const standIns = useStandIns();
  routeSuite(() => standInBackend(standIns));
});
