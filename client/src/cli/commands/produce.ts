/** `floe produce <topic>`: records from stdin or a file, with backpressure and a progress bar. */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import type { Compression } from "../../format/index.js";
import type { ProduceTransport } from "../../sdk/produce-request.js";
import {
  boolFlag,
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
import { MAX_PARTITIONS } from "./topics.js";

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
  null: {
    type: "boolean",
    short: "Z",
    help: "an empty value is sent as null (a tombstone), an empty key (with -K) as a null key",
  },
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

/** The input file's size, or a usage error naming it (not a stack trace) when it cannot be read. */
async function fileSize(file: string): Promise<number> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new UsageError(`--file ${file} is not a file`);
    return info.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read --file ${file}: ${code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : String(error)}`,
    );
  }
}

/** Names the input line in a per-record error. */
function atLine(error: unknown, line: number): unknown {
  if (error instanceof Error) error.message = `line ${line}: ${error.message}`;
  return error;
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
    partition: intFlag(v, "partition", 0, MAX_PARTITIONS - 1),
    nulls: boolFlag(v, "null"),
  };
  const file = stringFlag(v, "file");
  const totalBytes = file === undefined ? undefined : await fileSize(file);
  const input: Readable = file === undefined ? ctx.io.stdin : createReadStream(file);
  // The topic's own record limit caps the batches, so one oversized line is refused alone, here,
  // instead of failing the server-side batch it would share with its neighbours.
  const topicLimit = (await ctx.client.admin.describeTopic(topic!)).config["max.message.bytes"];
  const batchBytes = intFlag(v, "batch-bytes", 1024, 64 * 1024 * 1024) ?? 1024 * 1024;

  const producer = ctx.client.producer({
    compression: oneOf<Compression>(stringFlag(v, "compression"), ["none", "lz4"], "compression", "none"),
    transport: oneOf<ProduceTransport>(stringFlag(v, "transport"), ["binary", "json"], "transport", "binary"),
    lingerMs: intFlag(v, "linger-ms", 0, 60_000) ?? 5,
    batchBytesMax:
      typeof topicLimit === "number" ? Math.max(1024, Math.min(batchBytes, topicLimit)) : batchBytes,
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
      // The bar counts what the agent acknowledged, not what was read (reading runs ahead by the
      // producer's buffer); blank lines count as done at once.
      if (!record) {
        progress.update(0, size);
        continue;
      }
      submitted++;
      const at = lineNumber;
      let ticket: Awaited<ReturnType<typeof producer.submit>>;
      try {
        ticket = await producer.submit(topic!, record);
      } catch (error) {
        // Refused before sending (too large for the topic or producer): this line only.
        failed++;
        firstError ??= atLine(error, at);
        progress.update(0, size);
        if (ctx.signal.aborted) break;
        continue;
      }
      ticket.ack().then(
        (meta) => {
          progress.update(1, size);
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
          progress.update(0, size);
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
    const ok = submitted - failed;
    const failures = failed > 0 ? `, ${formatCount(failed)} failed` : "";
    await write(
      ctx.io.stdout,
      `produced ${formatCount(ok)} record${ok === 1 ? "" : "s"}${failures} (${formatBytes(bytes)}) to ${topic} in ${(elapsedMs / 1000).toFixed(2)} s${rate}\n`,
    );
  }
  if (firstError !== undefined) {
    const error = firstError;
    if (error instanceof Error) error.message += ` (${failed} of ${submitted} records failed)`;
    throw error;
  }
}
