/** Cluster, topic and producer-id messages: the grammar of each above it. */
import { array, arrayOf, bool, int8, int16, int32, int64, message, string, uuid } from "../schema.js";

/**
 *   ApiVersions Request (v0-3; flexible v3+) => client_software_name (v3+) client_software_version (v3+)
 *   ApiVersions Response => error_code [api_keys] throttle_time_ms (v1+)
 *     api_keys => api_key min_version max_version
 * Its response header is always v0 (no tagged fields), so a client can read the error of an
 * unsupported version whatever version it asked for.
 */
export const apiVersions = message(
  18,
  "ApiVersions",
  "0-3",
  "3+",
  [string("clientSoftwareName", { v: "3+" }), string("clientSoftwareVersion", { v: "3+" })],
  [
    int16("errorCode"),
    array("apiKeys", [int16("apiKey"), int16("minVersion"), int16("maxVersion")]),
    int32("throttleTimeMs", { v: "1+" }),
  ],
);

/**
 *   CreateTopics Request (v0-7; flexible v5+) => [topics] timeout_ms validate_only (v1+)
 *     topics => name num_partitions replication_factor [assignments] [configs]
 *       assignments => partition_index [broker_ids]
 *       configs => name value
 *   CreateTopics Response => throttle_time_ms (v2+) [topics]
 *     topics => name topic_id (v7+) error_code error_message (v1+) <topic_config_error_code> (tag 0, v5+)
 *               num_partitions (v5+) replication_factor (v5+) [configs] (v5+, nullable)
 *       configs => name value read_only config_source is_sensitive
 */
export const createTopics = message(
  19,
  "CreateTopics",
  "0-7",
  "5+",
  [
    array("topics", [
      string("name"),
      int32("numPartitions"),
      int16("replicationFactor"),
      array("assignments", [int32("partitionIndex"), arrayOf("brokerIds", "int32")]),
      array("configs", [string("name"), string("value", { nullable: "0+" })]),
    ]),
    int32("timeoutMs"),
    bool("validateOnly", { v: "1+" }),
  ],
  [
    int32("throttleTimeMs", { v: "2+" }),
    array("topics", [
      string("name"),
      uuid("topicId", { v: "7+" }),
      int16("errorCode"),
      string("errorMessage", { v: "1+", nullable: "0+", default: null }),
      int16("topicConfigErrorCode", { v: "5+", tag: 0 }),
      int32("numPartitions", { v: "5+", default: -1 }),
      int16("replicationFactor", { v: "5+", default: -1 }),
      array(
        "configs",
        [
          string("name"),
          string("value", { nullable: "0+" }),
          bool("readOnly"),
          int8("configSource", { default: -1 }),
          bool("isSensitive"),
        ],
        { v: "5+", nullable: "5+", default: null },
      ),
    ]),
  ],
);

/**
 *   DeleteTopics Request (v0-5; flexible v4+) => [topic_names:STRING] timeout_ms
 *   DeleteTopics Response => throttle_time_ms (v1+) [responses]
 *     responses => name error_code error_message (v5+)
 */
export const deleteTopics = message(
  20,
  "DeleteTopics",
  "0-5",
  "4+",
  [arrayOf("topicNames", "string"), int32("timeoutMs")],
  [
    int32("throttleTimeMs", { v: "1+" }),
    array("responses", [
      string("name"),
      int16("errorCode"),
      string("errorMessage", { v: "5+", nullable: "5+", default: null }),
    ]),
  ],
);

/**
 *   DeleteRecords Request (v0-2; flexible v2+) => [topics] timeout_ms
 *     topics => name [partitions]
 *       partitions => partition_index offset
 *   DeleteRecords Response => throttle_time_ms [topics]
 *     topics => name [partitions]
 *       partitions => partition_index low_watermark error_code
 */
export const deleteRecords = message(
  21,
  "DeleteRecords",
  "0-2",
  "2+",
  [
    array("topics", [string("name"), array("partitions", [int32("partitionIndex"), int64("offset")])]),
    int32("timeoutMs"),
  ],
  [
    int32("throttleTimeMs"),
    array("topics", [
      string("name"),
      array("partitions", [int32("partitionIndex"), int64("lowWatermark"), int16("errorCode")]),
    ]),
  ],
);

/**
 *   InitProducerId Request (v0-4; flexible v2+) => transactional_id transaction_timeout_ms
 *       producer_id (v3+) producer_epoch (v3+)
 *   InitProducerId Response => throttle_time_ms error_code producer_id producer_epoch
 */
export const initProducerId = message(
  22,
  "InitProducerId",
  "0-4",
  "2+",
  [
    string("transactionalId", { nullable: "0+", default: null }),
    int32("transactionTimeoutMs"),
    int64("producerId", { v: "3+", default: -1 }),
    int16("producerEpoch", { v: "3+", default: -1 }),
  ],
  [int32("throttleTimeMs"), int16("errorCode"), int64("producerId", { default: -1 }), int16("producerEpoch")],
);

/**
 *   DescribeConfigs Request (v0-4; flexible v4+) => [resources] include_synonyms (v1+) include_documentation (v3+)
 *     resources => resource_type resource_name [configuration_keys] (nullable: null = all)
 *   DescribeConfigs Response => throttle_time_ms [results]
 *     results => error_code error_message resource_type resource_name [configs]
 *       configs => name value read_only is_default (v0) config_source (v1+) is_sensitive
 *                  [synonyms] (v1+) config_type (v3+) documentation (v3+)
 *         synonyms => name value source
 */
export const describeConfigs = message(
  32,
  "DescribeConfigs",
  "0-4",
  "4+",
  [
    array("resources", [
      int8("resourceType"),
      string("resourceName"),
      arrayOf("configurationKeys", "string", { nullable: "0+", default: null }),
    ]),
    bool("includeSynonyms", { v: "1+" }),
    bool("includeDocumentation", { v: "3+" }),
  ],
  [
    int32("throttleTimeMs"),
    array("results", [
      int16("errorCode"),
      string("errorMessage", { nullable: "0+", default: null }),
      int8("resourceType"),
      string("resourceName"),
      array("configs", [
        string("name"),
        string("value", { nullable: "0+" }),
        bool("readOnly"),
        bool("isDefault", { v: "0" }),
        int8("configSource", { v: "1+", default: -1 }),
        bool("isSensitive"),
        array("synonyms", [string("name"), string("value", { nullable: "0+" }), int8("source")], { v: "1+" }),
        int8("configType", { v: "3+" }),
        string("documentation", { v: "3+", nullable: "0+", default: null }),
      ]),
    ]),
  ],
);

/**
 *   CreatePartitions Request (v0-3; flexible v2+) => [topics] timeout_ms validate_only
 *     topics => name count [assignments] (nullable)
 *       assignments => [broker_ids]
 *   CreatePartitions Response => throttle_time_ms [results => name error_code error_message]
 */
export const createPartitions = message(
  37,
  "CreatePartitions",
  "0-3",
  "2+",
  [
    array("topics", [
      string("name"),
      int32("count"),
      array("assignments", [arrayOf("brokerIds", "int32")], { nullable: "0+", default: null }),
    ]),
    int32("timeoutMs"),
    bool("validateOnly"),
  ],
  [
    int32("throttleTimeMs"),
    array("results", [
      string("name"),
      int16("errorCode"),
      string("errorMessage", { nullable: "0+", default: null }),
    ]),
  ],
);

/**
 *   DescribeCluster Request (v0-1; flexible v0+) => include_cluster_authorized_operations endpoint_type (v1+)
 *   DescribeCluster Response => throttle_time_ms error_code error_message endpoint_type (v1+) cluster_id
 *       controller_id [brokers] cluster_authorized_operations
 *     brokers => broker_id host port rack
 */
export const describeCluster = message(
  60,
  "DescribeCluster",
  "0-1",
  "0+",
  [bool("includeClusterAuthorizedOperations"), int8("endpointType", { v: "1+", default: 1 })],
  [
    int32("throttleTimeMs"),
    int16("errorCode"),
    string("errorMessage", { nullable: "0+", default: null }),
    int8("endpointType", { v: "1+", default: 1 }),
    string("clusterId"),
    int32("controllerId", { default: -1 }),
    array("brokers", [
      int32("brokerId"),
      string("host"),
      int32("port"),
      string("rack", { nullable: "0+", default: null }),
    ]),
    int32("clusterAuthorizedOperations", { default: -2147483648 }),
  ],
);

/**
 *   AlterConfigs Request (v0-2; flexible v2+) => [resources] validate_only
 *     resources => resource_type resource_name [configs => name value]
 *   AlterConfigs Response => throttle_time_ms [responses]
 *     responses => error_code error_message resource_type resource_name
 */
export const alterConfigs = message(
  33,
  "AlterConfigs",
  "0-2",
  "2+",
  [
    array("resources", [
      int8("resourceType"),
      string("resourceName"),
      array("configs", [string("name"), string("value", { nullable: "0+" })]),
    ]),
    bool("validateOnly"),
  ],
  [
    int32("throttleTimeMs"),
    array("responses", [
      int16("errorCode"),
      string("errorMessage", { nullable: "0+", default: null }),
      int8("resourceType"),
      string("resourceName"),
    ]),
  ],
);

/**
 *   IncrementalAlterConfigs Request (v0-1; flexible v1+) => [resources] validate_only
 *     resources => resource_type resource_name [configs => name config_operation value]
 *       config_operation => 0 SET, 1 DELETE (back to the default), 2 APPEND, 3 SUBTRACT
 *   IncrementalAlterConfigs Response => throttle_time_ms [responses]
 *     responses => error_code error_message resource_type resource_name
 */
export const incrementalAlterConfigs = message(
  44,
  "IncrementalAlterConfigs",
  "0-1",
  "1+",
  [
    array("resources", [
      int8("resourceType"),
      string("resourceName"),
      array("configs", [string("name"), int8("configOperation"), string("value", { nullable: "0+" })]),
    ]),
    bool("validateOnly"),
  ],
  [
    int32("throttleTimeMs"),
    array("responses", [
      int16("errorCode"),
      string("errorMessage", { nullable: "0+", default: null }),
      int8("resourceType"),
      string("resourceName"),
    ]),
  ],
);
