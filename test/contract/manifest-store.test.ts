import { MemoryManifestStore } from "../../functions/src/adapters/memory/memory-manifest-store.js";
import { useStandIns } from "../support/standins.js";
import { manifestStoreContract } from "./manifest-store.contract.js";

manifestStoreContract("MemoryManifestStore", async () => new MemoryManifestStore());

const standIns = useStandIns();
manifestStoreContract("DynamoManifestStore on dynalite", () => standIns().newManifestStore());
