/** `floe consume <topic>` and `floe tail <topic>`: records to stdout, one per line. */
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
  positionals,
  stringFlag,
} from "../args.js";
import { UsageError } from "../exit-codes.js";
import { unescapeSeparator } from "../input.js";
import { type Context, write } from "../output.js";

const COMMON_FLAGS: FlagSpecs = {
  partition: { type: "string", short: "p", multiple: true, help: "read only this partition (repeatable)" },
  follow: { type: "boolean", short: "f", help: "keep waiting for new records (Ctrl-C to stop)" },
  format: { type: "string", help: "value (default: the value per line) or json (one object per line)" },
  "key-separator": { type: "string", short: "K", help: "value format: print key SEP value" },
  "max-records": { type: "string", short: "n", help: "stop after this many records" },
  transport: { type: "string", help: "binary (default), json, or sse" },
};

export const CONSUME_FLAGS: FlagSpecs = {
  ...COMMON_FLAGS,
  group: { type: "string", short: "g", help: "consume as a member of this group (commits offsets)" },
  "from-beginning": { type: "boolean", help: "start at the earliest offset (default without --follow)" },
  offset: { type: "string", help: "start at this offset (in every partition read)" },
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
 * `key_base64` / `value_base64`.
 *
 * @example
 * recordJson(record); // {"topic":"t","partition":0,"offset":5,"timestamp":...,"key":"k","value":"v","headers":{}}
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
  const headers: Record<string, string | null> = {};
  for (const h of r.headers) headers[h.key] = h.value === null ? null : (utf8(h.value) ?? toBase64(h.value));
  out.headers = headers;
  return out;
}

function parseTimestamp(raw: string): number {
  if (/^\d+$/.test(raw)) return parseIntArg(raw, "--timestamp", 0, Number.MAX_SAFE_INTEGER);
  const ms = Date.parse(raw);
  if (!Number.isFinite(ms))
    throw new UsageError(`--timestamp must be milliseconds or an ISO-8601 time, got ${JSON.stringify(raw)}`);
  return ms;
}

function startOf(v: Parsed["values"], follow: boolean): StartFrom {
  const offset = intFlag(v, "offset", 0, Number.MAX_SAFE_INTEGER);
  const timestamp = stringFlag(v, "timestamp");
  const chosen = [offset !== undefined, timestamp !== undefined, boolFlag(v, "from-beginning")].filter(
    Boolean,
  ).length;
  if (chosen > 1) throw new UsageError("give at most one of --from-beginning, --offset and --timestamp");
  if (offset !== undefined) return { offset };
  if (timestamp !== undefined) return { timestamp: parseTimestamp(timestamp) };
  if (boolFlag(v, "from-beginning")) return "earliest";
  // Like kcat: a one-off read dumps the topic; following starts at the end, like tail -f.
  return follow ? "latest" : "earliest";
}

/**
 * Runs `floe consume` (`tail = false`) or `floe tail` (`tail = true`).
 *
 * @example
 * await consumeCommand(ctx, parse(["orders", "--from-beginning", "-n", "10"], CONSUME_FLAGS), false);
 */
export async function consumeCommand(ctx: Context, parsed: Parsed, tail: boolean): Promise<void> {
  const [topic] = positionals(parsed, ["topic"]);
  const v = parsed.values;
  const follow = boolFlag(v, "follow");
  const formatFlag = stringFlag(v, "format");
  if (formatFlag !== undefined && formatFlag !== "value" && formatFlag !== "json") {
    throw new UsageError("--format must be value or json");
  }
  const asJson = formatFlag === "json" || (formatFlag === undefined && ctx.json);
  const transport = stringFlag(v, "transport") ?? "binary";
  if (!["binary", "json", "sse"].includes(transport))
    throw new UsageError("--transport must be binary, json or sse");
  const maxRecords = intFlag(v, "max-records", 1, Number.MAX_SAFE_INTEGER);
  const partitions = listFlag(v, "partition").map((p) => parseIntArg(p, "--partition", 0, 1_000_000));
  const separator = stringFlag(v, "key-separator");
  const keySeparator = separator === undefined ? undefined : unescapeSeparator(separator);
  const group = tail ? undefined : stringFlag(v, "group");
  if (group !== undefined && partitions.length > 0)
    throw new UsageError("--partition cannot be used with --group");
  const from: StartFrom = tail ? { tail: intFlag(v, "lines", 0, 1_000_000) ?? 10 } : startOf(v, follow);

  const consumer = ctx.client.consumer({
    topics: topic!,
    group,
    from,
    follow,
    transport: transport as ConsumeTransport,
    ...(partitions.length > 0 ? { partitions } : {}),
  });
  const stop = () => void consumer.close();
  ctx.signal.addEventListener("abort", stop, { once: true });
  let count = 0;
  const decoder = new TextDecoder();
  try {
    for await (const record of consumer) {
      let line: string;
      if (asJson) line = JSON.stringify(recordJson(record));
      else {
        const value = record.value === null ? "" : decoder.decode(record.value);
        line =
          keySeparator === undefined
            ? value
            : `${record.key === null ? "" : decoder.decode(record.key)}${keySeparator}${value}`;
      }
      await write(ctx.io.stdout, `${line}\n`);
      count++;
      if (maxRecords !== undefined && count >= maxRecords) break;
    }
  } finally {
    ctx.signal.removeEventListener("abort", stop);
    await consumer.close();
  }
}
