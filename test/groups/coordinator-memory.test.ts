/** The coordinator suite over the in-memory ManifestStore. */
import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { coordinatorSuite } from "./coordinator.suite.js";

coordinatorSuite("the in-memory store", async () => new MemoryManifestStore(), {
  rounds: 80,
  partitions: 8,
  recordsPerPartition: 30,
  canary: true,
});
