/**
 * Fetch (API key 1), versions 4-12 (by topic name; v13+ address topics by id). Flexible v12+.
 *
 *   Fetch Request => replica_id max_wait_ms min_bytes max_bytes isolation_level session_id (v7+)
 *                    session_epoch (v7+) [topics] [forgotten_topics_data] (v7+) rack_id (v11+)
 *                    <cluster_id> (tag 0, v12+)
 *     topics => topic [partitions]
 *       partitions => partition current_leader_epoch (v9+) fetch_offset last_fetched_epoch (v12+)
 *                     log_start_offset (v5+) partition_max_bytes
 *     forgotten_topics_data => topic [partitions:INT32]
 *
 *   Fetch Response => throttle_time_ms error_code (v7+) session_id (v7+) [responses]
 *     responses => topic [partitions]
 *       partitions => partition_index error_code high_watermark last_stable_offset
 *                     log_start_offset (v5+) [aborted_transactions] preferred_read_replica (v11+) records
 *         aborted_transactions => producer_id first_offset   (nullable)
 */
import { array, arrayOf, int8, int16, int32, int64, message, records, string } from "../schema.js";

export const fetch = message(
  1,
  "Fetch",
  "4-12",
  "12+",
  [
    int32("replicaId", { default: -1 }),
    int32("maxWaitMs"),
    int32("minBytes"),
    int32("maxBytes", { default: 0x7fffffff }),
    int8("isolationLevel"),
    int32("sessionId", { v: "7+" }),
    int32("sessionEpoch", { v: "7+", default: -1 }),
    array("topics", [
      string("topic"),
      array("partitions", [
        int32("partition"),
        int32("currentLeaderEpoch", { v: "9+", default: -1 }),
        int64("fetchOffset"),
        int32("lastFetchedEpoch", { v: "12+", default: -1 }),
        int64("logStartOffset", { v: "5+", default: -1 }),
        int32("partitionMaxBytes"),
      ]),
    ]),
    array("forgottenTopicsData", [string("topic"), arrayOf("partitions", "int32")], { v: "7+" }),
    string("rackId", { v: "11+" }),
    string("clusterId", { v: "12+", tag: 0, nullable: "12+", default: null }),
  ],
  [
    int32("throttleTimeMs"),
    int16("errorCode", { v: "7+" }),
    int32("sessionId", { v: "7+" }),
    array("responses", [
      string("topic"),
      array("partitions", [
        int32("partitionIndex"),
        int16("errorCode"),
        int64("highWatermark"),
        int64("lastStableOffset", { default: -1 }),
        int64("logStartOffset", { v: "5+", default: -1 }),
        array("abortedTransactions", [int64("producerId"), int64("firstOffset")], {
          nullable: "4+",
          default: null,
        }),
        int32("preferredReadReplica", { v: "11+", default: -1 }),
        records("records", { nullable: "0+" }),
      ]),
    ]),
  ],
);
