/** `floe metadata [topic...]`: the cluster as `kcat -L` lists it: the agent, topics, partitions. */
import type { TopicDescription } from "../../sdk/admin.js";
import type { FlagSpecs, Parsed } from "../args.js";
import { type Context, write, writeJson } from "../output.js";

export const METADATA_FLAGS: FlagSpecs = {};

/**
 * Runs `floe metadata`: every topic, or the ones named.
 *
 * @example
 * await metadataCommand(ctx, parse(["orders"], METADATA_FLAGS), "http://127.0.0.1:8080");
 */
export async function metadataCommand(ctx: Context, parsed: Parsed, url: string): Promise<void> {
  const admin = ctx.client.admin;
  const names =
    parsed.positionals.length > 0 ? parsed.positionals : (await admin.listTopics()).map((t) => t.name);
  const topics: TopicDescription[] = await Promise.all(names.map((n) => admin.describeTopic(n)));
  if (ctx.json) {
    return writeJson(ctx.io, {
      agent: url,
      topics: topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partition: p.partition,
          log_start_offset: p.logStartOffset,
          high_watermark: p.highWatermark,
        })),
      })),
    });
  }
  let text = `Metadata from agent ${url}\n 1 agent (every agent serves every partition)\n ${topics.length} topic${topics.length === 1 ? "" : "s"}:\n`;
  for (const t of topics) {
    text += `  topic "${t.name}" with ${t.partitionCount} partition${t.partitionCount === 1 ? "" : "s"}:\n`;
    for (const p of t.partitions) {
      text += `    partition ${p.partition}, log start ${p.logStartOffset}, high watermark ${p.highWatermark}\n`;
    }
  }
  return write(ctx.io.stdout, text);
}
