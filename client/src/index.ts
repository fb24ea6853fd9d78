/**
 * Floe's TypeScript client: the SDK (producer, consumer, admin), the shared error table and the
 * record format. Node 20+ and browsers (global fetch; LZ4 falls back to pure JS).
 *
 * @example
 * import { FloeClient, text } from "floe";
 * const client = new FloeClient({ url: "http://127.0.0.1:8080" });
 * const producer = client.producer();
 * await producer.send("orders", { key: "user-42", value: "hello" });
 * await producer.close();
 * for await (const r of client.consumer({ topics: "orders", from: "earliest", follow: false })) console.log(text(r.value));
 */
export { ERROR_TABLE, type ErrorCode, type ErrorDetails, FloeError, isErrorCode } from "./errors.js";
export { type Compression, partitionForKey, type RecordHeader } from "./format/index.js";
export {
  Admin,
  type CommittedOffset,
  type GroupDescription,
  type GroupMember,
  type GroupOffset,
  type GroupSummary,
  type PartitionInfo,
  type PartitionTail,
  type ResetOffsetsRequest,
  type TopicConfig,
  type TopicDescription,
  type TopicPartitions,
} from "./sdk/admin.js";
export type { BackoffOptions } from "./sdk/backoff.js";
export { FloeClient, type FloeClientOptions } from "./sdk/client.js";
export { Consumer, type ConsumerOptions, type StartFrom, type TopicPartition } from "./sdk/consumer.js";
export type { FetchRequest, FetchResult, FetchStart, FetchTransport } from "./sdk/fetcher.js";
export type { ConsumeTransport } from "./sdk/partition-stream.js";
export type { AppendResult, ProduceTransport } from "./sdk/produce-request.js";
export { Producer, type ProducerOptions, type SubmitTicket } from "./sdk/producer.js";
export {
  type ConsumerRecord,
  type ProducerRecord,
  type RecordData,
  type RecordMetadata,
  text,
  toBytes,
} from "./sdk/records.js";
export type { FetchFn, TransportOptions } from "./sdk/transport.js";
