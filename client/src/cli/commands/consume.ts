/**
 * `floe consume <topic>...` and `floe tail <topic>...`: records to stdout, one per line, with
 * kcat's habits: `-o beginning|end|N|-N|s@T`, `-e` to end at the end, `--format '%k %s\n'`,
 * `-Z` for NULL keys and values, raw bytes out (no U+FFFD), several topics at once.
 */
import { FloeError } from "../../errors.js";
import type { TopicDescription } from "../../sdk/admin.js";
import type { StartFrom } from "../../sdk/consumer.js";
import type { ConsumeTransport } from "../../sdk/partition-stream.js";
import type { ConsumerRecord } from "../../sdk/records.js";
import { toBase64 } from "../../sdk/wire.js";
import {
  boolFlag,
  type FlagSpecs,
  intFlag,
  listFlag,
  type Parsed,
  parseIntArg,
  stringFlag,
} from "../args.js";
import { UsageError } from "../exit-codes.js";
import { unescapeSeparator } from "../input.js";
import { type Context, write } from "../output.js";
import { compileFormat, type RecordFormatter } from "../record-format.js";
import { MAX_PARTITIONS } from "./topics.js";

const COMMON_FLAGS: FlagSpecs = {
  partition: { type: "string", short: "p", multiple: true, help: "read only this partition (repeatable)" },
  follow: { type: "boolean", short: "f", help: "keep waiting for new records (Ctrl-C to stop)" },
  exit: { type: "boolean", short: "e", help: "end at the end of each partition (the default without -f)" },
  format: {
    type: "string",
    help: "value (default), json (one object per line), or a kcat format string such as '%k\\t%s\\n'",
  },
  "key-separator": { type: "string", short: "K", help: "value format: print key SEP value" },
  null: { type: "boolean", short: "Z", help: "print a null key or value (tombstone) as NULL" },
  "max-records": { type: "string", short: "n", help: "stop after this many records" },
  transport: { type: "string", help: "binary (default), json, or sse" },
};

export const CONSUME_FLAGS: FlagSpecs = {
  ...COMMON_FLAGS,
  group: { type: "string", short: "g", help: "consume as a member of this group (commits offsets)" },
  offset: {
    type: "string",
    short: "o",
    help: "start: beginning, end, N (absolute), -N (N before the end), s@T (time: ms or ISO-8601)",
  },
  "from-beginning": { type: "boolean", help: "start at the earliest offset (same as -o beginning)" },
  timestamp: { type: "string", help: "start at the first record at or after this time (ms or ISO-8601)" },
};

export const TAIL_FLAGS: FlagSpecs = {
  ...COMMON_FLAGS,
  lines: { type: "string", short: "l", help: "records per partition to show first (default 10)" },
};

const strict = new TextDecoder("utf-8", { fatal: true });

/** Text if the bytes are valid UTF-8, else undefined (then JSON output carries base64). */
function utf8(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * One record as a JSON line: key and value as text when they are UTF-8, else as
 * `key_base64` / `value_base64`; headers as the HTTP API gives them, `[{name, value}]`.
 *
 * @example
 * recordJson(record); // {"topic":"t","partition":0,"offset":5,"timestamp":...,"key":"k","value":"v","headers":[]}
 */
export function recordJson(r: ConsumerRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    timestamp: r.timestamp,
  };
  for (const [name, bytes] of [
    ["key", r.key],
    ["value", r.value],
  ] as const) {
    if (bytes === null) out[name] = null;
    else {
      const text = utf8(bytes);
      if (text === undefined) out[`${name}_base64`] = toBase64(bytes);
      else out[name] = text;
    }
  }
  out.headers = r.headers.map((h) => {
    if (h.value === null) return { name: h.key, value: null };
    const text = utf8(h.value);
    return text === undefined
      ? { name: h.key, value_base64: toBase64(h.value) }
      : { name: h.key, value: text };
  });
  return out;
}

function parseTimestamp(raw: string, what: string): number {
  if (/^\d+$/.test(raw)) return parseIntArg(raw, what, 0, Number.MAX_SAFE_INTEGER);
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms))
    throw new UsageError(`${what} must be milliseconds or an ISO-8601 time, got ${JSON.stringify(raw)}`);
  return ms;
}

/**
 * kcat's `-o`: `beginning`, `end`, an absolute offset, `-N` (the last N of each partition) or
 * `s@T` (the first record at or after time T).
 *
 * @example
 * offsetSpec("-5"); // { tail: 5 }
 */
export function offsetSpec(raw: string): StartFrom {
  const v = raw.trim();
  if (v === "beginning" || v === "earliest") return "earliest";
  if (v === "end" || v === "latest") return "latest";
  if (/^-\d+$/.test(v)) return { tail: parseIntArg(v.slice(1), "--offset -N", 0, Number.MAX_SAFE_INTEGER) };
  if (/^\d+$/.test(v)) return { offset: parseIntArg(v, "--offset", 0, Number.MAX_SAFE_INTEGER) };
  if (v.startsWith("s@")) return { timestamp: parseTimestamp(v.slice(2), "--offset s@T") };
  throw new UsageError(
    `--offset takes beginning, end, N, -N or s@TIME, got ${JSON.stringify(raw)} (for the last N records, -o -N)`,
  );
}

function startOf(v: Parsed["values"], follow: boolean): StartFrom {
  const offset = stringFlag(v, "offset");
  const timestamp = stringFlag(v, "timestamp");
  const chosen = [offset !== undefined, timestamp !== undefined, boolFlag(v, "from-beginning")].filter(
    Boolean,
  ).length;
  if (chosen > 1) throw new UsageError("give at most one of --from-beginning, --offset and --timestamp");
  if (offset !== undefined) return offsetSpec(offset);
  if (timestamp !== undefined) return { timestamp: parseTimestamp(timestamp, "--timestamp") };
  if (boolFlag(v, "from-beginning")) return "earliest";
  // Like kcat: a one-off read dumps the topic; following starts at the end, like tail -f.
  return follow ? "latest" : "earliest";
}

/**
 * Checks a standalone read against the topics as they are now, so a mistake is an error rather
 * than an empty, successful read: a partition the topic does not have (partition_not_found,
 * exit 3), an absolute offset past a partition's end (offset_out_of_range, exit 6).
 */
export function checkSelection(topics: TopicDescription[], partitions: number[], from: StartFrom): void {
  for (const t of topics) {
    for (const p of partitions) {
      if (p >= t.partitionCount) {
        throw new FloeError(
          "partition_not_found",
          `topic ${t.name} has no partition ${p} (it has ${t.partitionCount}: 0 to ${t.partitionCount - 1})`,
          { topic: t.name, partition: p },
        );
      }
    }
    if (typeof from === "object" && "offset" in from) {
      for (const info of t.partitions) {
        if (partitions.length > 0 && !partitions.includes(info.partition)) continue;
        if (from.offset > info.highWatermark) {
          throw new FloeError(
            "offset_out_of_range",
            `offset ${from.offset} is past the end of ${t.name}/${info.partition} (high watermark ${info.highWatermark}, log start ${info.logStartOffset}); use -o end or -o -N for the last N`,
            { topic: t.name, partition: info.partition, high_watermark: info.highWatermark },
          );
        }
      }
    }
  }
}

const NEWLINE = new Uint8Array([10]);
const NULL_TEXT = new TextEncoder().encode("NULL");

/** The default output: the value's bytes as stored (not re-decoded), `-K` puts the key first. */
function valueFormatter(keySeparator: string | undefined, nulls: boolean): RecordFormatter {
  const sep = keySeparator === undefined ? undefined : new TextEncoder().encode(keySeparator);
  const empty = new Uint8Array(0);
  const bytes = (b: Uint8Array | null) => (b === null ? (nulls ? NULL_TEXT : empty) : b);
  return (r) =>
    sep === undefined ? [bytes(r.value), NEWLINE] : [bytes(r.key), sep, bytes(r.value), NEWLINE];
}

/**
 * Runs `floe consume` (`tail = false`) or `floe tail` (`tail = true`).
 *
 * @example
 * await consumeCommand(ctx, parse(["orders", "-o", "beginning", "-n", "10"], CONSUME_FLAGS), false);
 */
export async function consumeCommand(ctx: Context, parsed: Parsed, tail: boolean): Promise<void> {
  const topics = parsed.positionals;
  if (topics.length === 0) throw new UsageError("missing <topic>");
  const v = parsed.values;
  const follow = boolFlag(v, "follow");
  if (follow && boolFlag(v, "exit"))
    throw new UsageError("give -f (follow) or -e (end at the end), not both");
  const formatFlag = stringFlag(v, "format");
  const nulls = boolFlag(v, "null");
  let formatter: RecordFormatter;
  const separator = stringFlag(v, "key-separator");
  const keySeparator = separator === undefined ? undefined : unescapeSeparator(separator);
  if (formatFlag === "json" || (formatFlag === undefined && ctx.json)) {
    formatter = (r) => [`${JSON.stringify(recordJson(r))}\n`];
  } else if (formatFlag === undefined || formatFlag === "value") {
    formatter = valueFormatter(keySeparator, nulls);
  } else if (formatFlag.includes("%")) {
    formatter = compileFormat(formatFlag, { nulls });
  } else {
    throw new UsageError("--format must be value, json, or a format string with % fields (see --help)");
  }
  const transport = stringFlag(v, "transport") ?? "binary";
  if (!["binary", "json", "sse"].includes(transport))
    throw new UsageError("--transport must be binary, json or sse");
  const maxRecords = intFlag(v, "max-records", 1, Number.MAX_SAFE_INTEGER);
  const partitions = listFlag(v, "partition").map((p) =>
    parseIntArg(p, "--partition", 0, MAX_PARTITIONS - 1),
  );
  const group = tail ? undefined : stringFlag(v, "group");
  if (group !== undefined && partitions.length > 0)
    throw new UsageError("--partition cannot be used with --group");
  const from: StartFrom = tail ? { tail: intFlag(v, "lines", 0, 1_000_000) ?? 10 } : startOf(v, follow);
  if (group === undefined) {
    const described = await Promise.all(topics.map((t) => ctx.client.admin.describeTopic(t)));
    checkSelection(described, partitions, from);
  }

  const consumer = ctx.client.consumer({
    topics,
    group,
    from,
    follow,
    transport: transport as ConsumeTransport,
    ...(partitions.length > 0 ? { partitions } : {}),
  });
  const stop = () => void consumer.close();
  ctx.signal.addEventListener("abort", stop, { once: true });
  let count = 0;
  try {
    for await (const record of consumer) {
      for (const part of formatter(record)) await write(ctx.io.stdout, part);
      count++;
      if (maxRecords !== undefined && count >= maxRecords) break;
    }
  } finally {
    ctx.signal.removeEventListener("abort", stop);
    await consumer.close();
  }
}
