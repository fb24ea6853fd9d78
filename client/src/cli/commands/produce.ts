/** `floe produce <topic>`: records from stdin or a file, with backpressure and a progress bar. */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { Compression } from "../../format/index.js";
import type { ProduceTransport } from "../../sdk/produce-request.js";
import {
  type FlagSpecs,
  intFlag,
  keyValues,
  listFlag,
  type Parsed,
  positionals,
  stringFlag,
} from "../args.js";
import { UsageError } from "../exit-codes.js";
import { type InputFormat, type LineOptions, recordFromLine, unescapeSeparator } from "../input.js";
import { type Context, formatBytes, formatCount, write, writeJson } from "../output.js";
import { ProgressBar, progressDelayMs } from "../progress.js";

export const PRODUCE_FLAGS: FlagSpecs = {
  file: { type: "string", help: "read records from this file instead of stdin" },
  format: { type: "string", help: "lines (default) or ndjson" },
  "key-separator": {
    type: "string",
    short: "K",
    help: "lines: split key and value at the first SEP (\\t allowed)",
  },
  "key-field": { type: "string", help: "ndjson: use this field of each object as the key" },
  partition: { type: "string", short: "p", help: "send every record to this partition" },
  header: {
    type: "string",
    short: "H",
    multiple: true,
    help: "add a header name=value to every record (repeatable)",
  },
  compression: { type: "string", help: "none (default) or lz4" },
  transport: { type: "string", help: "binary (default) or json" },
  "linger-ms": { type: "string", help: "batching delay (default 5)" },
  "batch-bytes": { type: "string", help: "largest batch in bytes (default 1048576)" },
};

function oneOf<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  flag: string,
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`--${flag} must be ${allowed.join(" or ")}`);
  return value as T;
}

interface PartitionSpan {
  first: number;
  last: number;
  records: number;
}

/**
 * Runs `floe produce`.
 *
 * @example
 * await produceCommand(ctx, parse(["orders", "--format", "ndjson", "--key-field", "id"], PRODUCE_FLAGS));
 */
export async function produceCommand(ctx: Context, parsed: Parsed): Promise<void> {
  const [topic] = positionals(parsed, ["topic"]);
  const v = parsed.values;
  const format = oneOf<InputFormat>(stringFlag(v, "format"), ["lines", "ndjson"], "format", "lines");
  const separator = stringFlag(v, "key-separator");
  const keyField = stringFlag(v, "key-field");
  if (keyField !== undefined && format !== "ndjson")
    throw new UsageError("--key-field needs --format ndjson");
  if (separator !== undefined && format !== "lines")
    throw new UsageError("--key-separator needs --format lines");
  const lineOptions: LineOptions = {
    format,
    keySeparator: separator === undefined ? undefined : unescapeSeparator(separator),
    keyField,
    headers: keyValues(listFlag(v, "header"), "--header"),
    partition: intFlag(v, "partition", 0, 1_000_000),
  };
  const file = stringFlag(v, "file");
  const input: Readable = file === undefined ? ctx.io.stdin : createReadStream(file);
  const totalBytes = file === undefined ? undefined : (await stat(file)).size;

  const producer = ctx.client.producer({
    compression: oneOf<Compression>(stringFlag(v, "compression"), ["none", "lz4"], "compression", "none"),
    transport: oneOf<ProduceTransport>(stringFlag(v, "transport"), ["binary", "json"], "transport", "binary"),
    lingerMs: intFlag(v, "linger-ms", 0, 60_000) ?? 5,
    batchBytesMax: intFlag(v, "batch-bytes", 1024, 64 * 1024 * 1024) ?? 1024 * 1024,
  });
  const progress = new ProgressBar(ctx.io.stderr, totalBytes, {
    showAfterMs: progressDelayMs(ctx.io.env),
  });
  const spans = new Map<number, PartitionSpan>();
  let submitted = 0;
  let failed = 0;
  let firstError: unknown;
  let bytes = 0;
  const startedAt = Date.now();
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  const stop = () => lines.close();
  ctx.signal.addEventListener("abort", stop, { once: true });
  let lineNumber = 0;
  try {
    for await (const line of lines) {
      lineNumber++;
      const size = Buffer.byteLength(line) + 1;
      bytes += size;
      const record = recordFromLine(line, lineNumber, lineOptions);
      progress.update(record ? 1 : 0, size);
      if (!record) continue;
      const ticket = await producer.submit(topic!, record);
      submitted++;
      ticket.ack().then(
        (meta) => {
          const span = spans.get(meta.partition);
          if (!span) spans.set(meta.partition, { first: meta.offset, last: meta.offset, records: 1 });
          else {
            span.first = Math.min(span.first, meta.offset);
            span.last = Math.max(span.last, meta.offset);
            span.records++;
          }
        },
        (error: unknown) => {
          failed++;
          firstError ??= error;
        },
      );
      if (ctx.signal.aborted) break;
    }
  } finally {
    ctx.signal.removeEventListener("abort", stop);
    await producer.close().catch(() => {});
    progress.finish();
  }
  const elapsedMs = Date.now() - startedAt;
  const partitions = [...spans].sort((a, b) => a[0] - b[0]);
  if (ctx.json) {
    await writeJson(ctx.io, {
      topic,
      records: submitted - failed,
      failed,
      bytes,
      elapsed_ms: elapsedMs,
      partitions: partitions.map(([p, s]) => ({
        partition: p,
        first_offset: s.first,
        last_offset: s.last,
        records: s.records,
      })),
    });
  } else {
    const rate =
      elapsedMs >= 1000 ? ` (${formatCount(((submitted - failed) * 1000) / elapsedMs)} rec/s)` : "";
    await write(
      ctx.io.stdout,
      `produced ${formatCount(submitted - failed)} records (${formatBytes(bytes)}) to ${topic} in ${(elapsedMs / 1000).toFixed(2)} s${rate}\n`,
    );
  }
  if (firstError !== undefined) {
    const error = firstError;
    if (error instanceof Error) error.message += ` (${failed} of ${submitted} records failed)`;
    throw error;
  }
}
