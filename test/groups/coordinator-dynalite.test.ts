/** The coordinator suite through the AWS SDK against dynalite: real conditional writes over HTTP. */
import { useStandIns } from "../support/standins.js";
import { coordinatorSuite } from "./coordinator.suite.js";

const standIns = useStandIns();

coordinatorSuite("dynalite", () => standIns().newManifestStore());
