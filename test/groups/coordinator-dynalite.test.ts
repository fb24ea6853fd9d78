/**
 * The coordinator suite through the AWS SDK against dynalite: real conditional writes over HTTP.
 * Each dynalite request costs a few ms of the two shared cores, so the churn run is smaller here.
 */
import { useStandIns } from "../support/standins.js";
import { coordinatorSuite } from "./coordinator.suite.js";

const standIns = useStandIns();

coordinatorSuite("dynalite", () => standIns().newManifestStore(), {
  rounds: 24,
  partitions: 6,
  recordsPerPartition: 12,
  canary: false,
});
