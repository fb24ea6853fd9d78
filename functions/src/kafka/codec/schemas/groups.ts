/**
 * The classic consumer-group protocol and group offsets: the grammar of each message above it.
 * Every struct of a flexible version ends with its tagged fields (codec.ts).
 */
import { array, arrayOf, bool, bytes, int8, int16, int32, int64, message, string } from "../schema.js";

/**
 *   OffsetCommit Request (v2-8; flexible v8+) => group_id generation_id_or_member_epoch member_id
 *       group_instance_id (v7+) retention_time_ms (v2-4) [topics]
 *     topics => name [partitions]
 *       partitions => partition_index committed_offset committed_leader_epoch (v6+) committed_metadata
 *   OffsetCommit Response => throttle_time_ms (v3+) [topics]
 *     topics => name [partitions => partition_index error_code]
 */
export const offsetCommit = message(
  8,
  "OffsetCommit",
  "2-8",
  "8+",
  [
    string("groupId"),
    int32("generationIdOrMemberEpoch", { default: -1 }),
    string("memberId"),
    string("groupInstanceId", { v: "7+", nullable: "7+", default: null }),
    int64("retentionTimeMs", { v: "2-4", default: -1 }),
    array("topics", [
      string("name"),
      array("partitions", [
        int32("partitionIndex"),
        int64("committedOffset"),
        int32("committedLeaderEpoch", { v: "6+", default: -1 }),
        string("committedMetadata", { nullable: "0+" }),
      ]),
    ]),
  ],
  [
    int32("throttleTimeMs", { v: "3+" }),
    array("topics", [string("name"), array("partitions", [int32("partitionIndex"), int16("errorCode")])]),
  ],
);

/**
 *   OffsetFetch Request (v1-7; flexible v6+) => group_id [topics] require_stable (v7+)
 *     topics => name [partition_indexes:INT32]          (topics nullable v2+: null = all)
 *   OffsetFetch Response => throttle_time_ms (v3+) [topics] error_code (v2+)
 *     topics => name [partitions]
 *       partitions => partition_index committed_offset committed_leader_epoch (v5+) metadata error_code
 */
export const offsetFetch = message(
  9,
  "OffsetFetch",
  "1-7",
  "6+",
  [
    string("groupId"),
    array("topics", [string("name"), arrayOf("partitionIndexes", "int32")], { nullable: "2+" }),
    bool("requireStable", { v: "7+" }),
  ],
  [
    int32("throttleTimeMs", { v: "3+" }),
    array("topics", [
      string("name"),
      array("partitions", [
        int32("partitionIndex"),
        int64("committedOffset"),
        int32("committedLeaderEpoch", { v: "5+", default: -1 }),
        string("metadata", { nullable: "0+" }),
        int16("errorCode"),
      ]),
    ]),
    int16("errorCode", { v: "2+" }),
  ],
);

/**
 *   FindCoordinator Request (v0-4; flexible v3+) => key (v0-3) key_type (v1+) [coordinator_keys] (v4+)
 *   FindCoordinator Response => throttle_time_ms (v1+) error_code (v0-3) error_message (v1-3)
 *       node_id (v0-3) host (v0-3) port (v0-3) [coordinators] (v4+)
 *     coordinators => key node_id host port error_code error_message
 */
export const findCoordinator = message(
  10,
  "FindCoordinator",
  "0-4",
  "3+",
  [
    string("key", { v: "0-3" }),
    int8("keyType", { v: "1+" }),
    arrayOf("coordinatorKeys", "string", { v: "4+" }),
  ],
  [
    int32("throttleTimeMs", { v: "1+" }),
    int16("errorCode", { v: "0-3" }),
    string("errorMessage", { v: "1-3", nullable: "1-3", default: null }),
    int32("nodeId", { v: "0-3" }),
    string("host", { v: "0-3" }),
    int32("port", { v: "0-3" }),
    array(
      "coordinators",
      [
        string("key"),
        int32("nodeId"),
        string("host"),
        int32("port"),
        int16("errorCode"),
        string("errorMessage", { nullable: "4+", default: null }),
      ],
      { v: "4+" },
    ),
  ],
);

/**
 *   JoinGroup Request (v0-9; flexible v6+) => group_id session_timeout_ms rebalance_timeout_ms (v1+)
 *       member_id group_instance_id (v5+) protocol_type [protocols] reason (v8+)
 *     protocols => name metadata
 *   JoinGroup Response => throttle_time_ms (v2+) error_code generation_id protocol_type (v7+)
 *       protocol_name leader skip_assignment (v9+) member_id [members]
 *     members => member_id group_instance_id (v5+) metadata
 */
export const joinGroup = message(
  11,
  "JoinGroup",
  "0-9",
  "6+",
  [
    string("groupId"),
    int32("sessionTimeoutMs"),
    int32("rebalanceTimeoutMs", { v: "1+", default: -1 }),
    string("memberId"),
    string("groupInstanceId", { v: "5+", nullable: "5+", default: null }),
    string("protocolType"),
    array("protocols", [string("name"), bytes("metadata")]),
    string("reason", { v: "8+", nullable: "8+", default: null }),
  ],
  [
    int32("throttleTimeMs", { v: "2+" }),
    int16("errorCode"),
    int32("generationId", { default: -1 }),
    string("protocolType", { v: "7+", nullable: "7+", default: null }),
    string("protocolName", { nullable: "7+" }),
    string("leader"),
    bool("skipAssignment", { v: "9+" }),
    string("memberId"),
    array("members", [
      string("memberId"),
      string("groupInstanceId", { v: "5+", nullable: "5+", default: null }),
      bytes("metadata"),
    ]),
  ],
);

/**
 *   Heartbeat Request (v0-4; flexible v4+) => group_id generation_id member_id group_instance_id (v3+)
 *   Heartbeat Response => throttle_time_ms (v1+) error_code
 */
export const heartbeat = message(
  12,
  "Heartbeat",
  "0-4",
  "4+",
  [
    string("groupId"),
    int32("generationId"),
    string("memberId"),
    string("groupInstanceId", { v: "3+", nullable: "3+", default: null }),
  ],
  [int32("throttleTimeMs", { v: "1+" }), int16("errorCode")],
);

/**
 *   LeaveGroup Request (v0-5; flexible v4+) => group_id member_id (v0-2) [members] (v3+)
 *     members => member_id group_instance_id reason (v5+)
 *   LeaveGroup Response => throttle_time_ms (v1+) error_code [members] (v3+)
 *     members => member_id group_instance_id error_code
 */
export const leaveGroup = message(
  13,
  "LeaveGroup",
  "0-5",
  "4+",
  [
    string("groupId"),
    string("memberId", { v: "0-2" }),
    array(
      "members",
      [
        string("memberId"),
        string("groupInstanceId", { nullable: "3+", default: null }),
        string("reason", { v: "5+", nullable: "5+", default: null }),
      ],
      { v: "3+" },
    ),
  ],
  [
    int32("throttleTimeMs", { v: "1+" }),
    int16("errorCode"),
    array(
      "members",
      [string("memberId"), string("groupInstanceId", { nullable: "3+", default: null }), int16("errorCode")],
      { v: "3+" },
    ),
  ],
);

/**
 *   SyncGroup Request (v0-5; flexible v4+) => group_id generation_id member_id group_instance_id (v3+)
 *       protocol_type (v5+) protocol_name (v5+) [assignments]
 *     assignments => member_id assignment
 *   SyncGroup Response => throttle_time_ms (v1+) error_code protocol_type (v5+) protocol_name (v5+) assignment
 */
export const syncGroup = message(
  14,
  "SyncGroup",
  "0-5",
  "4+",
  [
    string("groupId"),
    int32("generationId"),
    string("memberId"),
    string("groupInstanceId", { v: "3+", nullable: "3+", default: null }),
    string("protocolType", { v: "5+", nullable: "5+", default: null }),
    string("protocolName", { v: "5+", nullable: "5+", default: null }),
    array("assignments", [string("memberId"), bytes("assignment")]),
  ],
  [
    int32("throttleTimeMs", { v: "1+" }),
    int16("errorCode"),
    string("protocolType", { v: "5+", nullable: "5+", default: null }),
    string("protocolName", { v: "5+", nullable: "5+", default: null }),
    bytes("assignment"),
  ],
);

/**
 *   DescribeGroups Request (v0-5; flexible v5+) => [groups:STRING] include_authorized_operations (v3+)
 *   DescribeGroups Response => throttle_time_ms (v1+) [groups]
 *     groups => error_code group_id group_state protocol_type protocol_data [members]
 *               authorized_operations (v3+)
 *       members => member_id group_instance_id (v4+) client_id client_host member_metadata member_assignment
 */
export const describeGroups = message(
  15,
  "DescribeGroups",
  "0-5",
  "5+",
  [arrayOf("groups", "string"), bool("includeAuthorizedOperations", { v: "3+" })],
  [
    int32("throttleTimeMs", { v: "1+" }),
    array("groups", [
      int16("errorCode"),
      string("groupId"),
      string("groupState"),
      string("protocolType"),
      string("protocolData"),
      array("members", [
        string("memberId"),
        string("groupInstanceId", { v: "4+", nullable: "4+", default: null }),
        string("clientId"),
        string("clientHost"),
        bytes("memberMetadata"),
        bytes("memberAssignment"),
      ]),
      int32("authorizedOperations", { v: "3+", default: -2147483648 }),
    ]),
  ],
);

/**
 *   ListGroups Request (v0-4; flexible v3+) => [states_filter] (v4+)
 *   ListGroups Response => throttle_time_ms (v1+) error_code [groups]
 *     groups => group_id protocol_type group_state (v4+)
 */
export const listGroups = message(
  16,
  "ListGroups",
  "0-4",
  "3+",
  [arrayOf("statesFilter", "string", { v: "4+" })],
  [
    int32("throttleTimeMs", { v: "1+" }),
    int16("errorCode"),
    array("groups", [string("groupId"), string("protocolType"), string("groupState", { v: "4+" })]),
  ],
);

/**
 *   DeleteGroups Request (v0-2; flexible v2+) => [groups_names:STRING]
 *   DeleteGroups Response => throttle_time_ms [results => group_id error_code]
 */
export const deleteGroups = message(
  42,
  "DeleteGroups",
  "0-2",
  "2+",
  [arrayOf("groupsNames", "string")],
  [int32("throttleTimeMs"), array("results", [string("groupId"), int16("errorCode")])],
);

/**
 *   OffsetDelete Request (v0) => group_id [topics => name [partitions => partition_index]]
 *   OffsetDelete Response => error_code throttle_time_ms [topics => name [partitions => partition_index error_code]]
 */
export const offsetDelete = message(
  47,
  "OffsetDelete",
  "0",
  "none",
  [string("groupId"), array("topics", [string("name"), array("partitions", [int32("partitionIndex")])])],
  [
    int16("errorCode"),
    int32("throttleTimeMs"),
    array("topics", [string("name"), array("partitions", [int32("partitionIndex"), int16("errorCode")])]),
  ],
);
