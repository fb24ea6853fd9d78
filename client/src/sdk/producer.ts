/**
 * The producer: records go into a bounded buffer, are grouped per partition into batches closed
 * by `lingerMs`, `batchBytesMax` or `batchRecordsMax`, and each partition's batches are sent by a
 * `PartitionSender` (pipelined, idempotent, ordered).
 *
 * Two promises per record, as in S2's SDK: `submit()` resolves once the record is *accepted* into
 * the buffer (this is where backpressure bites: it waits for room), and the ticket's `ack()`
 * resolves once it is *durable* with its offset. `send()` is both in one.
 */
import { FloeError } from "../errors.js";
import { type Compression, partitionForKey, type RecordInput } from "../format/index.js";
import { PRODUCER_BATCHES_KEPT } from "../idempotence.js";
import type { Admin } from "./admin.js";
import type { BackoffOptions } from "./backoff.js";
import { TopicMetadata } from "./metadata.js";
import { PartitionSender, type PendingBatch, randomProducerId } from "./partition-sender.js";
import {
  type AppendResult,
  appendToPartition,
  encodeAppend,
  type ProduceTransport,
} from "./produce-request.js";
import { type ProducerRecord, type RecordMetadata, recordSizeBytes, toRecordInput } from "./records.js";
import type { Transport } from "./transport.js";

export interface ProducerOptions {
  /** How long a batch waits for more records before it is sent. Default 5 ms. */
  lingerMs?: number;
  /** A batch is sent once it holds this many bytes. Default 1 MiB (the server takes up to 4 MiB on Lambda). */
  batchBytesMax?: number;
  /** A batch is sent once it holds this many records. Default 1000 (the server's per-request limit). */
  batchRecordsMax?: number;
  /** Bytes of records accepted but not yet acknowledged; past it `submit()` waits. Default 32 MiB. */
  bufferBytesMax?: number;
  /** Requests in flight per partition, 1 to 5. Default 5. */
  maxInFlight?: number;
  /** Stamp batches so retries never duplicate. Default true. */
  idempotent?: boolean;
  /** Batch compression. Default "none". */
  compression?: Compression;
  /** "binary" (RecordBatch bodies, the default) or "json". */
  transport?: ProduceTransport;
  /** A batch still unacknowledged this long after it closed fails with its last error. Default 120 s. */
  deliveryTimeoutMs?: number;
  retryBackoff?: BackoffOptions;
  /** Overrides Kafka's default partitioner for keyed records. */
  partitioner?: (key: Uint8Array, partitions: number, topic: string) => number;
}

/** A record accepted into the buffer; `ack()` resolves once it is durable. */
export interface SubmitTicket {
  topic: string;
  partition: number;
  ack(): Promise<RecordMetadata>;
}

interface OpenBatch {
  topic: string;
  partition: number;
  records: RecordInput[];
  bytes: number;
  timer: ReturnType<typeof setTimeout> | undefined;
  result: Promise<AppendResult>;
  pending: PendingBatch;
}

function checkRange(name: string, value: number, min: number, max: number): number {
  if (!(Number.isInteger(value) && value >= min && value <= max)) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

export class Producer {
  /** This producer's idempotence identity (undefined when not idempotent). */
  readonly producerId: number | undefined;
  private readonly lingerMs: number;
  private readonly batchBytesMax: number;
  private readonly batchRecordsMax: number;
  private readonly bufferBytesMax: number;
  private readonly maxInFlight: number;
  private readonly compression: Compression;
  private readonly transportKind: ProduceTransport;
  private readonly deliveryTimeoutMs: number;
  private readonly metadata: TopicMetadata;
  private readonly open = new Map<string, OpenBatch>();
  private readonly senders = new Map<string, PartitionSender>();
  private readonly sticky = new Map<string, number>();
  /** Closed batches not yet settled, with their results. */
  private readonly outstanding = new Map<PendingBatch, Promise<AppendResult>>();
  /** The first delivery failure flush() has not reported yet. */
  private unreportedFailure: { error: unknown } | undefined;
  private readonly roomWaiters: (() => void)[] = [];
  private bufferedBytes = 0;
  /** Serialises intake, so records are accepted (and ordered) exactly in `submit()` order. */
  private intake: Promise<unknown> = Promise.resolve();
  /** Submits waiting in `intake`; while any are, later ones queue behind them to keep order. */
  private intakeQueued = 0;
  private closed = false;

  constructor(
    private readonly transport: Transport,
    admin: Pick<Admin, "describeTopic">,
    private readonly options: ProducerOptions = {},
  ) {
    this.lingerMs = checkRange("lingerMs", options.lingerMs ?? 5, 0, 60_000);
    this.batchBytesMax = checkRange(
      "batchBytesMax",
      options.batchBytesMax ?? 1024 * 1024,
      1024,
      64 * 1024 * 1024,
    );
    this.batchRecordsMax = checkRange("batchRecordsMax", options.batchRecordsMax ?? 1000, 1, 1_000_000);
    this.bufferBytesMax = checkRange(
      "bufferBytesMax",
      options.bufferBytesMax ?? 32 * 1024 * 1024,
      1024,
      2 ** 40,
    );
    this.maxInFlight = checkRange(
      "maxInFlight",
      options.maxInFlight ?? PRODUCER_BATCHES_KEPT,
      1,
      PRODUCER_BATCHES_KEPT,
    );
    this.deliveryTimeoutMs = checkRange(
      "deliveryTimeoutMs",
      options.deliveryTimeoutMs ?? 120_000,
      1,
      2 ** 31,
    );
    this.compression = options.compression ?? "none";
    this.transportKind = options.transport ?? "binary";
    this.producerId = options.idempotent === false ? undefined : randomProducerId();
    this.metadata = new TopicMetadata(admin);
  }

  /**
   * Accepts a record into the buffer, waiting for room when the buffer is full (backpressure),
   * and returns a ticket whose `ack()` resolves once the record is durable.
   *
   * @example
   * for (const line of lines) {
   *   const ticket = await producer.submit("logs", { value: line }); // waits only when the buffer is full
   *   acks.push(ticket.ack());
   * }
   */
  submit(topic: string, record: ProducerRecord): Promise<SubmitTicket> {
    if (this.closed) return Promise.reject(new Error("the producer is closed"));
    let input: RecordInput;
    try {
      input = toRecordInput(record, Date.now());
    } catch (error) {
      return Promise.reject(error);
    }
    const size = recordSizeBytes(input);
    if (size > this.batchBytesMax || size > this.bufferBytesMax) {
      const limit = Math.min(this.batchBytesMax, this.bufferBytesMax);
      return Promise.reject(
        new FloeError(
          "record_too_large",
          `a record of about ${size} bytes exceeds the producer's limit of ${limit}`,
          {
            limit_bytes: limit,
          },
        ),
      );
    }
    // Fast path: nothing queued ahead, partition count known, room in the buffer — accept now,
    // without the three promises of the queued path (a third of the per-record cost).
    const partitions = this.intakeQueued === 0 ? this.metadata.cached(topic) : undefined;
    if (
      partitions !== undefined &&
      (record.partition === undefined || record.partition < partitions) &&
      this.bufferedBytes + size <= this.bufferBytesMax
    ) {
      try {
        return Promise.resolve(
          this.place(topic, this.partitionOf(topic, record.partition, input, partitions), input, size),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.intakeQueued++;
    const accepted = this.intake.then(() => this.accept(topic, record.partition, input, size));
    this.intake = accepted.then(
      () => this.intakeQueued--,
      () => this.intakeQueued--,
    );
    return accepted;
  }

  /**
   * Sends one record and resolves with its partition and offset once it is durable.
   *
   * @example
   * const { partition, offset } = await producer.send("orders", { key: "user-42", value: JSON.stringify(order) });
   */
  async send(topic: string, record: ProducerRecord): Promise<RecordMetadata> {
    return (await this.submit(topic, record)).ack();
  }

  /**
   * Sends records (in order) and resolves once all are durable.
   *
   * @example
   * const metas = await producer.sendBatch("orders", [{ key: "a", value: "1" }, { key: "b", value: "2" }]);
   */
  async sendBatch(topic: string, records: ProducerRecord[]): Promise<RecordMetadata[]> {
    const tickets = records.map((r) => this.submit(topic, r));
    const acks: Promise<RecordMetadata>[] = [];
    for (const t of tickets) acks.push((await t).ack());
    return Promise.all(acks);
  }

  /**
   * Sends every buffered record now and waits until all records submitted so far are settled.
   * Rejects with the first delivery error among them, if any.
   *
   * @example
   * producer.submit("logs", { value: "a" });
   * await producer.flush();
   */
  async flush(): Promise<void> {
    await this.intake;
    for (const batch of [...this.open.values()]) this.closeBatch(batch);
    await Promise.allSettled([...this.outstanding.values()]);
    const failure = this.unreportedFailure;
    this.unreportedFailure = undefined;
    if (failure) throw failure.error;
  }

  /**
   * Flushes, then refuses further records. Safe to call twice.
   *
   * @example
   * try { ... } finally { await producer.close(); }
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  /** Bytes accepted and not yet acknowledged. */
  get bufferedBytesNow(): number {
    return this.bufferedBytes;
  }

  private async accept(
    topic: string,
    explicit: number | undefined,
    input: RecordInput,
    size: number,
  ): Promise<SubmitTicket> {
    let partitions = this.metadata.cached(topic) ?? (await this.metadata.load(topic));
    if (explicit !== undefined && explicit >= partitions) {
      // The topic may have grown since the count was cached: ask once more before refusing.
      this.metadata.invalidate(topic);
      partitions = await this.metadata.load(topic);
    }
    const partition = this.partitionOf(topic, explicit, input, partitions);
    while (this.bufferedBytes + size > this.bufferBytesMax) {
      // Lingering is pointless while the caller is blocked: send everything now to free room.
      for (const b of [...this.open.values()]) this.closeBatch(b);
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
    }
    return this.place(topic, partition, input, size);
  }

  private partitionOf(
    topic: string,
    explicit: number | undefined,
    input: RecordInput,
    partitions: number,
  ): number {
    const partition = explicit ?? this.choosePartition(topic, input.key, partitions);
    if (!(Number.isInteger(partition) && partition >= 0 && partition < partitions)) {
      throw new FloeError("partition_not_found", `topic ${topic} has no partition ${partition}`, {
        partitions,
      });
    }
    return partition;
  }

  /** Adds an accepted record to its partition's open batch (there is room: the caller checked). */
  private place(topic: string, partition: number, input: RecordInput, size: number): SubmitTicket {
    this.bufferedBytes += size;
    const key = `${topic}\u0000${partition}`;
    let batch = this.open.get(key);
    if (batch && batch.bytes + size > this.batchBytesMax) {
      this.closeBatch(batch);
      batch = undefined;
    }
    if (!batch) batch = this.openBatch(key, topic, partition);
    const index = batch.records.length;
    batch.records.push(input);
    batch.bytes += size;
    const result = batch.result;
    if (batch.records.length >= this.batchRecordsMax || batch.bytes >= this.batchBytesMax)
      this.closeBatch(batch);
    let ack: Promise<RecordMetadata> | undefined;
    return {
      topic,
      partition,
      ack: () => {
        ack ??= result.then((r) => ({
          topic,
          partition,
          offset: r.baseOffset + index,
          timestamp: input.timestamp,
        }));
        return ack;
      },
    };
  }

  private choosePartition(topic: string, key: Uint8Array | null, partitions: number): number {
    if (key !== null) {
      return this.options.partitioner
        ? this.options.partitioner(key, partitions, topic)
        : partitionForKey(key, partitions);
    }
    // Kafka's sticky partitioner: keyless records fill one partition's batch, then move on.
    let p = this.sticky.get(topic);
    if (p === undefined || p >= partitions) {
      p = Math.floor(Math.random() * partitions);
      this.sticky.set(topic, p);
    }
    return p;
  }

  private openBatch(key: string, topic: string, partition: number): OpenBatch {
    let resolve!: (r: AppendResult) => void;
    let reject!: (e: unknown) => void;
    const result = new Promise<AppendResult>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // Callers may never look at an ack; the failure then surfaces through flush().
    result.catch((error: unknown) => {
      this.unreportedFailure ??= { error };
    });
    const records: RecordInput[] = [];
    const pending: PendingBatch = {
      records,
      bytes: 0,
      deadlineMs: 0,
      resolve,
      reject,
      attempts: 0,
      unknownOutcome: false,
    };
    const batch: OpenBatch = { topic, partition, records, bytes: 0, timer: undefined, result, pending };
    if (this.lingerMs === 0) queueMicrotask(() => this.closeBatch(batch));
    else batch.timer = setTimeout(() => this.closeBatch(batch), this.lingerMs);
    this.open.set(key, batch);
    return batch;
  }

  private closeBatch(batch: OpenBatch): void {
    const key = `${batch.topic}\u0000${batch.partition}`;
    if (this.open.get(key) !== batch) return;
    this.open.delete(key);
    if (batch.timer) clearTimeout(batch.timer);
    if (this.sticky.get(batch.topic) === batch.partition) this.sticky.delete(batch.topic);
    batch.pending.bytes = batch.bytes;
    batch.pending.deadlineMs = Date.now() + this.deliveryTimeoutMs;
    this.outstanding.set(batch.pending, batch.result);
    this.senderFor(batch.topic, batch.partition).enqueue(batch.pending);
  }

  private senderFor(topic: string, partition: number): PartitionSender {
    const key = `${topic}\u0000${partition}`;
    let sender = this.senders.get(key);
    if (!sender) {
      sender = new PartitionSender({
        topic,
        partition,
        producerId: this.producerId,
        maxInFlight: this.maxInFlight,
        compression: this.compression,
        ...(this.options.retryBackoff ? { backoff: this.options.retryBackoff } : {}),
        send: (b) => this.sendOnce(topic, partition, b),
        settled: (b) => this.release(b),
      });
      this.senders.set(key, sender);
    }
    return sender;
  }

  private async sendOnce(topic: string, partition: number, b: PendingBatch): Promise<AppendResult> {
    const request = {
      topic,
      partition,
      records: b.records,
      stamp: b.stamp,
      compression: this.compression,
      transport: this.transportKind,
    };
    // Encoded once per stamp: a retry sends the very same bytes.
    if (this.transportKind === "binary") b.encoded ??= encodeAppend(request);
    try {
      return await appendToPartition(this.transport, { ...request, encoded: b.encoded });
    } catch (error) {
      if (error instanceof FloeError && error.code === "partition_not_found") this.metadata.invalidate(topic);
      throw error;
    }
  }

  private release(b: PendingBatch): void {
    this.bufferedBytes -= b.bytes;
    this.outstanding.delete(b);
    const waiters = this.roomWaiters.splice(0);
    for (const w of waiters) w();
  }
}
