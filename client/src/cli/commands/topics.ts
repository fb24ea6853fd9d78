/** `floe topics create|list|describe|alter|delete`. */
import type { TopicConfig, TopicDescription } from "../../sdk/admin.js";
import { type FlagSpecs, intFlag, keyValues, listFlag, type Parsed, positionals } from "../args.js";
import { UsageError } from "../exit-codes.js";
import { type Context, formatCount, table, write, writeJson } from "../output.js";

export const TOPIC_FLAGS: FlagSpecs = {
  partitions: { type: "string", short: "p", help: "partition count (create: default 1; alter: grow to)" },
  config: {
    type: "string",
    short: "c",
    multiple: true,
    help: "topic config key=value (repeatable), e.g. retention.ms=3600000",
  },
};

function topicJson(t: TopicDescription) {
  return {
    name: t.name,
    partition_count: t.partitionCount,
    partitions: t.partitions.map((p) => ({
      partition: p.partition,
      high_watermark: p.highWatermark,
      log_start_offset: p.logStartOffset,
    })),
    config: t.config,
  };
}

function configText(config: TopicConfig): string {
  return Object.entries(config)
    .map(([k, v]) => `  ${k}=${v}`)
    .join("\n");
}

async function describeHuman(ctx: Context, t: TopicDescription): Promise<void> {
  const records = t.partitions.reduce((n, p) => n + p.highWatermark - p.logStartOffset, 0);
  let text = `topic ${t.name}: ${t.partitionCount} partition${t.partitionCount === 1 ? "" : "s"}, ${formatCount(records)} records retained\n`;
  if (t.partitions.length > 0) {
    text += table(
      ["PARTITION", "LOG-START", "HIGH-WATERMARK", "RECORDS"],
      t.partitions.map((p) => [
        String(p.partition),
        String(p.logStartOffset),
        String(p.highWatermark),
        String(p.highWatermark - p.logStartOffset),
      ]),
    );
  }
  text += `config:\n${configText(t.config)}\n`;
  await write(ctx.io.stdout, text);
}

/**
 * Runs a `topics` subcommand.
 *
 * @example
 * await topicsCommand(ctx, "create", parse(["orders", "-p", "3"], TOPIC_FLAGS));
 */
export async function topicsCommand(ctx: Context, sub: string, parsed: Parsed): Promise<void> {
  const admin = ctx.client.admin;
  switch (sub) {
    case "create": {
      const [name] = positionals(parsed, ["topic"]);
      const config = keyValues(listFlag(parsed.values, "config"), "--config");
      const partitions = intFlag(parsed.values, "partitions", 1, 1_000_000) ?? 1;
      const t = await admin.createTopic(name!, { partitions, config });
      if (ctx.json) return writeJson(ctx.io, topicJson(t));
      return write(
        ctx.io.stdout,
        `created topic ${t.name} with ${t.partitionCount} partition${t.partitionCount === 1 ? "" : "s"}\n`,
      );
    }
    case "list": {
      positionals(parsed, []);
      const topics = await admin.listTopics();
      if (ctx.json) return writeJson(ctx.io, { topics: topics.map(topicJson) });
      if (topics.length === 0) return write(ctx.io.stdout, "no topics\n");
      return write(
        ctx.io.stdout,
        table(
          ["TOPIC", "PARTITIONS", "CLEANUP", "RETENTION-MS"],
          topics.map((t) => [
            t.name,
            String(t.partitionCount),
            String(t.config["cleanup.policy"] ?? "-"),
            String(t.config["retention.ms"] ?? "-"),
          ]),
        ),
      );
    }
    case "describe": {
      const [name] = positionals(parsed, ["topic"]);
      const t = await admin.describeTopic(name!);
      return ctx.json ? writeJson(ctx.io, topicJson(t)) : describeHuman(ctx, t);
    }
    case "alter": {
      const [name] = positionals(parsed, ["topic"]);
      const pairs = listFlag(parsed.values, "config");
      const partitions = intFlag(parsed.values, "partitions", 1, 1_000_000);
      if (partitions === undefined && pairs.length === 0)
        throw new UsageError("alter needs --partitions or --config");
      const t = await admin.alterTopic(name!, {
        ...(partitions !== undefined ? { partitions } : {}),
        ...(pairs.length > 0 ? { config: keyValues(pairs, "--config") } : {}),
      });
      return ctx.json ? writeJson(ctx.io, topicJson(t)) : write(ctx.io.stdout, `altered topic ${t.name}\n`);
    }
    case "delete": {
      const [name] = positionals(parsed, ["topic"]);
      await admin.deleteTopic(name!);
      return ctx.json
        ? writeJson(ctx.io, { deleted: name })
        : write(ctx.io.stdout, `deleted topic ${name}\n`);
    }
    default:
      throw new UsageError(`unknown command "topics ${sub}"; use create, list, describe, alter or delete`);
  }
}
