/**
 * The entry point of the SDK: one `FloeClient` per Floe endpoint, from which producers,
 * consumers and the admin API are made. All of them share its HTTP settings (and, on Node, the
 * global fetch's keep-alive connection pool).
 */

import type { Compression } from "../format/index.js";
import { Admin } from "./admin.js";
import { Consumer, type ConsumerOptions } from "./consumer.js";
import { type FetchRequest, type FetchResult, fetchPartition } from "./fetcher.js";
import { type AppendResult, appendToPartition, type ProduceTransport } from "./produce-request.js";
import { Producer, type ProducerOptions } from "./producer.js";
import { type ProducerRecord, toRecordInput } from "./records.js";
import { Transport, type TransportOptions } from "./transport.js";

export interface FloeClientOptions extends TransportOptions {}

export class FloeClient {
  /** Topic and group administration. */
  readonly admin: Admin;
  readonly transport: Transport;

  /**
   * @example
   * const client = new FloeClient({ url: "http://127.0.0.1:8080", token: process.env.FLOE_TOKEN });
   */
  constructor(options: FloeClientOptions) {
    this.transport = new Transport(options);
    this.admin = new Admin(this.transport);
  }

  /**
   * A producer (idempotent, batching, pipelined). Close it to flush.
   *
   * @example
   * const producer = client.producer({ lingerMs: 10 });
   * const { offset } = await producer.send("orders", { key: "user-42", value: "hello" });
   * await producer.close();
   */
  producer(options: ProducerOptions = {}): Producer {
    return new Producer(this.transport, this.admin, options);
  }

  /**
   * A consumer of one or more topics, standalone or in a group.
   *
   * @example
   * const consumer = client.consumer({ topics: "orders", group: "billing", from: "earliest" });
   * for await (const record of consumer) console.log(record.offset, text(record.value));
   */
  consumer(options: ConsumerOptions): Consumer {
    return new Consumer(this.transport, this.admin, options);
  }

  /**
   * One stateless read of one partition (no consumer machinery).
   *
   * @example
   * const { records, nextOffset } = await client.fetch({ topic: "orders", partition: 0, start: { offset: 0 } });
   */
  fetch(
    request: Omit<FetchRequest, "transport"> & { transport?: FetchRequest["transport"] },
  ): Promise<FetchResult> {
    return fetchPartition(this.transport, { ...request, transport: request.transport ?? "binary" });
  }

  /**
   * One atomic append of `records` to one partition, outside any producer: no batching, no
   * retries. With `matchOffset` it is S2's conditional append — it happens only if the
   * partition's next offset is `matchOffset`, else it fails with `offset_mismatch` (412, with
   * `details.expected_offset`), which makes a single writer's retries safe without idempotence.
   *
   * @example
   * const { baseOffset } = await client.append("ledger", 0, [{ value: "debit 10" }], { matchOffset: 42 });
   */
  append(
    topic: string,
    partition: number,
    records: ProducerRecord[],
    options: { matchOffset?: number; transport?: ProduceTransport; compression?: Compression } = {},
  ): Promise<AppendResult> {
    const now = Date.now();
    return appendToPartition(this.transport, {
      topic,
      partition,
      records: records.map((r) => toRecordInput(r, now)),
      compression: options.compression ?? "none",
      transport: options.transport ?? "binary",
      matchOffset: options.matchOffset,
    });
  }
}
