import { MemoryObjectStore } from "../../functions/src/adapters/memory/memory-object-store.js";
import { useStandIns } from "../support/standins.js";
import { objectStoreContract } from "./object-store.contract.js";

objectStoreContract("MemoryObjectStore", async () => new MemoryObjectStore());

const standIns = useStandIns();
objectStoreContract("S3ObjectStore on s3rver", () => standIns().newObjectStore());
