/**
 * Produce (API key 0), versions 3-12 (v3 is the first with record batches v2; v9+ flexible; v12,
 * Kafka 4.0, is v11 unchanged: its bump only tells a broker the client knows transactions V2, KIP-890).
 *
 *   Produce Request => transactional_id acks timeout_ms [topic_data]
 *     transactional_id => NULLABLE_STRING
 *     acks => INT16
 *     timeout_ms => INT32
 *     topic_data => name [partition_data]
 *       partition_data => index records
 *
 *   Produce Response => [responses] throttle_time_ms
 *     responses => name [partition_responses]
 *       partition_responses => index error_code base_offset log_append_time_ms log_start_offset (v5+)
 *                              [record_errors] (v8+) error_message (v8+) <current_leader> (tag 0, v10+)
 *         record_errors => batch_index batch_index_error_message
 *     <node_endpoints> (tag 0, v10+): omitted, we never answer NOT_LEADER_OR_FOLLOWER
 */
import { array, int16, int32, int64, message, records, string } from "../schema.js";

export const produce = message(
  0,
  "Produce",
  "3-12",
  "9+",
  [
    string("transactionalId", { nullable: "0+", default: null }),
    int16("acks"),
    int32("timeoutMs"),
    array("topicData", [
      string("name"),
      array("partitionData", [int32("index"), records("records", { nullable: "0+" })]),
    ]),
  ],
  [
    array("responses", [
      string("name"),
      array("partitionResponses", [
        int32("index"),
        int16("errorCode"),
        int64("baseOffset"),
        int64("logAppendTimeMs", { default: -1 }),
        int64("logStartOffset", { v: "5+", default: -1 }),
        array(
          "recordErrors",
          [int32("batchIndex"), string("batchIndexErrorMessage", { nullable: "8+", default: null })],
          {
            v: "8+",
          },
        ),
        string("errorMessage", { v: "8+", nullable: "8+", default: null }),
      ]),
    ]),
    int32("throttleTimeMs"),
  ],
);
