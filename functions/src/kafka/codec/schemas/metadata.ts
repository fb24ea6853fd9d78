/**
 * Metadata (API key 3), versions 0-12 (flexible v9+).
 *
 *   Metadata Request => [topics] allow_auto_topic_creation (v4+)
 *                       include_cluster_authorized_operations (v8-10) include_topic_authorized_operations (v8+)
 *     topics => topic_id (v10+) name     (topics nullable v1+: null = all; name nullable v10+)
 *
 *   Metadata Response => throttle_time_ms (v3+) [brokers] cluster_id (v2+) controller_id (v1+) [topics]
 *                        cluster_authorized_operations (v8-10)
 *     brokers => node_id host port rack (v1+)
 *     topics => error_code name topic_id (v10+) is_internal (v1+) [partitions] topic_authorized_operations (v8+)
 *       partitions => error_code partition_index leader_id leader_epoch (v7+) [replica_nodes] [isr_nodes]
 *                     [offline_replicas] (v5+)
 */
import { array, arrayOf, bool, int16, int32, message, string, uuid } from "../schema.js";

const AUTHORIZED_OPERATIONS_UNKNOWN = -2147483648;

export const metadata = message(
  3,
  "Metadata",
  "0-12",
  "9+",
  [
    array("topics", [uuid("topicId", { v: "10+" }), string("name", { nullable: "10+" })], {
      nullable: "1+",
    }),
    bool("allowAutoTopicCreation", { v: "4+", default: true }),
    bool("includeClusterAuthorizedOperations", { v: "8-10" }),
    bool("includeTopicAuthorizedOperations", { v: "8+" }),
  ],
  [
    int32("throttleTimeMs", { v: "3+" }),
    array("brokers", [
      int32("nodeId"),
      string("host"),
      int32("port"),
      string("rack", { v: "1+", nullable: "1+", default: null }),
    ]),
    string("clusterId", { v: "2+", nullable: "2+", default: null }),
    int32("controllerId", { v: "1+", default: -1 }),
    array("topics", [
      int16("errorCode"),
      string("name", { nullable: "12+" }),
      uuid("topicId", { v: "10+" }),
      bool("isInternal", { v: "1+" }),
      array("partitions", [
        int16("errorCode"),
        int32("partitionIndex"),
        int32("leaderId"),
        int32("leaderEpoch", { v: "7+", default: -1 }),
        arrayOf("replicaNodes", "int32"),
        arrayOf("isrNodes", "int32"),
        arrayOf("offlineReplicas", "int32", { v: "5+" }),
      ]),
      int32("topicAuthorizedOperations", { v: "8+", default: AUTHORIZED_OPERATIONS_UNKNOWN }),
    ]),
    int32("clusterAuthorizedOperations", { v: "8-10", default: AUTHORIZED_OPERATIONS_UNKNOWN }),
  ],
);
