/** `floe topics create|list|describe|alter|delete`. */

import { FloeError } from "../../errors.js";
import type { TopicConfig, TopicDescription } from "../../sdk/admin.js";
import { boolFlag, type FlagSpecs, intFlag, keyValues, listFlag, type Parsed, positionals } from "../args.js";
import { UsageError } from "../exit-codes.js";
import { type Context, formatCount, table, write, writeJson } from "../output.js";

/**
 * The server's partition ceiling (functions/src/engine/topic-config.ts MAX_PARTITIONS; a unit
 * test keeps the two equal): `-p 2000` is a usage error here rather than a round trip.
 */
export const MAX_PARTITIONS = 1024;

export const TOPIC_FLAGS: FlagSpecs = {
  "if-not-exists": { type: "boolean", help: "create: succeed when the topic already exists" },
  "if-exists": { type: "boolean", help: "delete: succeed when the topic does not exist" },
  partitions: { type: "string", short: "p", help: "partition count (create: default 1; alter: grow to)" },
  config: {
    type: "string",
    short: "c",
    multiple: true,
    help: "topic config key=value (repeatable), e.g. retention.ms=3600000",
  },
};

function isCode(error: unknown, code: string): boolean {
  return error instanceof FloeError && error.code === code;
}

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
      const partitions = intFlag(parsed.values, "partitions", 1, MAX_PARTITIONS) ?? 1;
      let t: TopicDescription;
      try {
        t = await admin.createTopic(name!, { partitions, config });
      } catch (error) {
        if (!(boolFlag(parsed.values, "if-not-exists") && isCode(error, "topic_exists"))) throw error;
        t = await admin.describeTopic(name!);
        if (ctx.json) return writeJson(ctx.io, topicJson(t));
        return write(ctx.io.stdout, `topic ${t.name} exists already (${t.partitionCount} partitions)\n`);
      }
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
      // Without a topic: every topic (kafka-topics --describe).
      if (parsed.positionals.length === 0) {
        const names = (await admin.listTopics()).map((t) => t.name);
        const all = await Promise.all(names.map((n) => admin.describeTopic(n)));
        if (ctx.json) return writeJson(ctx.io, { topics: all.map(topicJson) });
        if (all.length === 0) return write(ctx.io.stdout, "no topics\n");
        for (const t of all) await describeHuman(ctx, t);
        return;
      }
      const [name] = positionals(parsed, ["topic"]);
      const t = await admin.describeTopic(name!);
      return ctx.json ? writeJson(ctx.io, topicJson(t)) : describeHuman(ctx, t);
    }
    case "alter": {
      const [name] = positionals(parsed, ["topic"]);
      const pairs = listFlag(parsed.values, "config");
      const partitions = intFlag(parsed.values, "partitions", 1, MAX_PARTITIONS);
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
      try {
        await admin.deleteTopic(name!);
      } catch (error) {
        if (!(boolFlag(parsed.values, "if-exists") && isCode(error, "topic_not_found"))) throw error;
        return ctx.json
          ? writeJson(ctx.io, { deleted: null })
          : write(ctx.io.stdout, `topic ${name} does not exist\n`);
      }
      return ctx.json
        ? writeJson(ctx.io, { deleted: name })
        : write(ctx.io.stdout, `deleted topic ${name}\n`);
    }
    default:
      throw new UsageError(`unknown command "topics ${sub}"; use create, list, describe, alter or delete`);
  }
}
