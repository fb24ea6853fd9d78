/** `floe groups list|describe`: membership, committed offsets and lag. */
import type { GroupDescription } from "../../sdk/admin.js";
import { type FlagSpecs, type Parsed, positionals } from "../args.js";
import { UsageError } from "../exit-codes.js";
import { type Context, formatCount, table, write, writeJson } from "../output.js";

export const GROUP_FLAGS: FlagSpecs = {};

/** Who holds each partition now (assigned or still releasing it). */
function ownersOf(group: GroupDescription): Map<string, string> {
  const owners = new Map<string, string>();
  for (const m of group.members) {
    for (const a of [...m.assignment, ...m.revoking])
      for (const p of a.partitions) owners.set(`${a.topic}:${p}`, m.memberId);
  }
  return owners;
}

const dash = (n: number | null) => (n === null ? "-" : String(n));

/**
 * Runs a `groups` subcommand.
 *
 * @example
 * await groupsCommand(ctx, "describe", parse(["billing"], GROUP_FLAGS));
 */
export async function groupsCommand(ctx: Context, sub: string, parsed: Parsed): Promise<void> {
  const admin = ctx.client.admin;
  if (sub === "list") {
    positionals(parsed, []);
    const groups = await admin.listGroups();
    if (ctx.json) {
      return writeJson(ctx.io, {
        groups: groups.map((g) => ({
          group: g.group,
          generation: g.generation,
          members: g.memberCount,
          state: g.state,
        })),
      });
    }
    if (groups.length === 0) return write(ctx.io.stdout, "no groups\n");
    return write(
      ctx.io.stdout,
      table(
        ["GROUP", "MEMBERS", "GENERATION"],
        groups.map((g) => [
          g.group,
          g.memberCount === undefined ? "-" : String(g.memberCount),
          g.generation === undefined ? "-" : String(g.generation),
        ]),
      ),
    );
  }
  if (sub === "describe") {
    const [name] = positionals(parsed, ["group"]);
    const group = await admin.describeGroup(name!);
    const owners = ownersOf(group);
    const rows = [...group.offsets].sort(
      (a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition,
    );
    if (ctx.json) {
      return writeJson(ctx.io, {
        group: group.group,
        generation: group.generation,
        state: group.state ?? null,
        members: group.members.map((m) => ({
          member_id: m.memberId,
          assignment: m.assignment,
          revoking: m.revoking,
        })),
        offsets: rows.map((r) => ({
          topic: r.topic,
          partition: r.partition,
          committed_offset: r.committedOffset,
          high_watermark: r.highWatermark,
          lag: r.lag,
          member_id: owners.get(`${r.topic}:${r.partition}`) ?? null,
        })),
        total_lag: group.totalLag,
      });
    }
    const members = group.members.length;
    let text = `group ${group.group}: ${group.state ?? "unknown"}, generation ${group.generation}, ${members} member${members === 1 ? "" : "s"}, total lag ${formatCount(group.totalLag)}\n`;
    if (rows.length > 0) {
      text += table(
        ["TOPIC", "PARTITION", "COMMITTED", "HIGH-WATERMARK", "LAG", "MEMBER"],
        rows.map((r) => [
          r.topic,
          String(r.partition),
          dash(r.committedOffset),
          dash(r.highWatermark),
          dash(r.lag),
          owners.get(`${r.topic}:${r.partition}`) ?? "-",
        ]),
      );
    } else text += "no partitions\n";
    return write(ctx.io.stdout, text);
  }
  throw new UsageError(`unknown command "groups ${sub}"; use list or describe`);
}
