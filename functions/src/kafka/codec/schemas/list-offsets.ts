/**
 * ListOffsets (API key 2), versions 1-9 (v6+ flexible; v7 adds MAX_TIMESTAMP = -3; v8 adds
 * EARLIEST_LOCAL_TIMESTAMP = -4 (KIP-405) and v9 LATEST_TIERED_TIMESTAMP = -5 (KIP-1005), both
 * in v7's grammar).
 *
 *   ListOffsets Request => replica_id isolation_level (v2+) [topics]
 *     topics => name [partitions]
 *       partitions => partition_index current_leader_epoch (v4+) timestamp
 *
 *   ListOffsets Response => throttle_time_ms (v2+) [topics]
 *     topics => name [partitions]
 *       partitions => partition_index error_code timestamp offset leader_epoch (v4+)
 */
import { array, int8, int16, int32, int64, message, string } from "../schema.js";

export const listOffsets = message(
  2,
  "ListOffsets",
  "1-9",
  "6+",
  [
    int32("replicaId", { default: -1 }),
    int8("isolationLevel", { v: "2+" }),
    array("topics", [
      string("name"),
      array("partitions", [
        int32("partitionIndex"),
        int32("currentLeaderEpoch", { v: "4+", default: -1 }),
        int64("timestamp"),
      ]),
    ]),
  ],
  [
    int32("throttleTimeMs", { v: "2+" }),
    array("topics", [
      string("name"),
      array("partitions", [
        int32("partitionIndex"),
        int16("errorCode"),
        int64("timestamp", { default: -1 }),
        int64("offset", { default: -1 }),
        int32("leaderEpoch", { v: "4+", default: -1 }),
      ]),
    ]),
  ],
);
