/**
 * `floe groups list|describe|reset-offsets`: membership, committed offsets and lag, and
 * kafka-consumer-groups' offset reset (a plan by default; `--execute` applies it).
 */
import type { GroupDescription } from "../../sdk/admin.js";
import {
  boolFlag,
  type FlagSpecs,
  listFlag,
  type Parsed,
  parseIntArg,
  positionals,
  stringFlag,
} from "../args.js";
import { UsageError } from "../exit-codes.js";
import { type Context, formatCount, table, write, writeJson } from "../output.js";
import { MAX_PARTITIONS } from "./topics.js";

export const GROUP_FLAGS: FlagSpecs = {
  topic: { type: "string", short: "t", help: "reset-offsets: the topic whose offsets move" },
  partition: {
    type: "string",
    short: "p",
    multiple: true,
    help: "reset-offsets: only this partition (repeatable; default all)",
  },
  "to-earliest": { type: "boolean", help: "reset-offsets: to each partition's log start" },
  "to-latest": { type: "boolean", help: "reset-offsets: to each partition's end (skip everything)" },
  "to-offset": { type: "string", help: "reset-offsets: to this offset (clamped to the log's bounds)" },
  "to-datetime": { type: "string", help: "reset-offsets: to the first record at or after this time" },
  "shift-by": { type: "string", help: "reset-offsets: move by N (negative: back), clamped" },
  execute: { type: "boolean", help: "reset-offsets: apply the plan (without it: print it only)" },
};

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

function groupJson(group: GroupDescription) {
  const owners = ownersOf(group);
  return {
    group: group.group,
    generation: group.generation,
    state: group.state ?? null,
    members: group.members.map((m) => ({
      member_id: m.memberId,
      assignment: m.assignment,
      revoking: m.revoking,
    })),
    offsets: sortedOffsets(group).map((r) => ({
      topic: r.topic,
      partition: r.partition,
      committed_offset: r.committedOffset,
      high_watermark: r.highWatermark,
      lag: r.lag,
      member_id: owners.get(`${r.topic}:${r.partition}`) ?? null,
    })),
    total_lag: group.totalLag,
  };
}

function sortedOffsets(group: GroupDescription) {
  return [...group.offsets].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
}

function describeText(group: GroupDescription): string {
  const owners = ownersOf(group);
  const rows = sortedOffsets(group);
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
  return text;
}

/** Every group, described (the list route names groups only; describe has state and members). */
async function describeAll(ctx: Context): Promise<GroupDescription[]> {
  const names = (await ctx.client.admin.listGroups()).map((g) => g.group);
  const out: GroupDescription[] = [];
  // A few at a time: a listing must not flood the agent with one request per group at once.
  for (let i = 0; i < names.length; i += 8) {
    out.push(...(await Promise.all(names.slice(i, i + 8).map((n) => ctx.client.admin.describeGroup(n)))));
  }
  return out;
}

type ResetTarget =
  | { to: "earliest" }
  | { to: "latest" }
  | { to: "offset"; offset: number }
  | { to: "timestamp"; timestamp: number }
  | { to: "shift"; by: number };

function resetTargetOf(v: Parsed["values"]): ResetTarget {
  const targets: ResetTarget[] = [];
  if (boolFlag(v, "to-earliest")) targets.push({ to: "earliest" });
  if (boolFlag(v, "to-latest")) targets.push({ to: "latest" });
  const offset = stringFlag(v, "to-offset");
  if (offset !== undefined)
    targets.push({ to: "offset", offset: parseIntArg(offset, "--to-offset", 0, Number.MAX_SAFE_INTEGER) });
  const datetime = stringFlag(v, "to-datetime");
  if (datetime !== undefined) {
    const ms = /^\d+$/.test(datetime) ? Number(datetime) : Date.parse(datetime);
    if (!Number.isSafeInteger(ms) || ms < 0)
      throw new UsageError(
        `--to-datetime must be milliseconds or an ISO-8601 time, got ${JSON.stringify(datetime)}`,
      );
    targets.push({ to: "timestamp", timestamp: ms });
  }
  const shift = stringFlag(v, "shift-by");
  if (shift !== undefined)
    targets.push({
      to: "shift",
      by: parseIntArg(shift, "--shift-by", -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    });
  if (targets.length !== 1)
    throw new UsageError(
      "reset-offsets needs exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by",
    );
  return targets[0]!;
}

interface PlannedReset {
  topic: string;
  partition: number;
  current: number | null;
  target: number;
}

const clamp = (n: number, lo: number, hi: number) => Math.min(Math.max(n, lo), hi);

/** What a reset would do now, per partition (the same rules as the server: clamped to the log). */
async function planReset(
  ctx: Context,
  group: string,
  topic: string,
  only: number[],
  target: ResetTarget,
): Promise<PlannedReset[]> {
  const admin = ctx.client.admin;
  const [description, committed] = await Promise.all([
    admin.describeTopic(topic),
    admin.committedOffsets(group, topic),
  ]);
  for (const p of only) {
    if (p >= description.partitionCount)
      throw new UsageError(`topic ${topic} has no partition ${p} (it has ${description.partitionCount})`);
  }
  const current = new Map(committed.map((c) => [c.partition, c.offset]));
  const plan: PlannedReset[] = [];
  for (const info of description.partitions) {
    if (only.length > 0 && !only.includes(info.partition)) continue;
    const now = current.get(info.partition) ?? null;
    const lo = info.logStartOffset;
    const hi = info.highWatermark;
    let next: number;
    if (target.to === "earliest") next = lo;
    else if (target.to === "latest") next = hi;
    else if (target.to === "offset") next = clamp(target.offset, lo, hi);
    else if (target.to === "shift") next = clamp((now ?? lo) + target.by, lo, hi);
    else {
      const found = await ctx.client.fetch({
        topic,
        partition: info.partition,
        start: { timestamp: target.timestamp },
        maxRecords: 1,
      });
      next = found.records[0]?.offset ?? hi;
    }
    plan.push({ topic, partition: info.partition, current: now, target: next });
  }
  return plan;
}

async function resetOffsets(ctx: Context, parsed: Parsed): Promise<void> {
  const [group] = positionals(parsed, ["group"]);
  const v = parsed.values;
  const topic = stringFlag(v, "topic");
  if (topic === undefined) throw new UsageError("reset-offsets needs --topic");
  const only = listFlag(v, "partition").map((p) => parseIntArg(p, "--partition", 0, MAX_PARTITIONS - 1));
  const target = resetTargetOf(v);
  const execute = boolFlag(v, "execute");
  let plan = await planReset(ctx, group!, topic, only, target);
  if (execute) {
    const admin = ctx.client.admin;
    const partitions = plan.map((p) => p.partition);
    const after =
      target.to === "shift"
        ? (
            await Promise.all(
              plan.map((p) =>
                admin.resetOffsets(group!, {
                  topic,
                  partitions: [p.partition],
                  to: "offset",
                  offset: p.target,
                }),
              ),
            )
          ).flat()
        : await admin.resetOffsets(group!, { topic, partitions, ...target });
    const applied = new Map(after.filter((o) => o.topic === topic).map((o) => [o.partition, o.offset]));
    plan = plan.map((p) => ({ ...p, target: applied.get(p.partition) ?? p.target }));
  }
  if (ctx.json) {
    return writeJson(ctx.io, {
      group,
      topic,
      dry_run: !execute,
      offsets: plan.map((p) => ({
        topic: p.topic,
        partition: p.partition,
        current_offset: p.current,
        new_offset: p.target,
      })),
    });
  }
  const head = execute
    ? `reset group ${group} on ${topic}:\n`
    : `plan for group ${group} on ${topic} (dry run: nothing changed; add --execute to apply):\n`;
  return write(
    ctx.io.stdout,
    head +
      table(
        ["TOPIC", "PARTITION", "CURRENT", "NEW"],
        plan.map((p) => [p.topic, String(p.partition), dash(p.current), String(p.target)]),
      ),
  );
}

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
    const groups = await describeAll(ctx);
    if (ctx.json) {
      return writeJson(ctx.io, {
        groups: groups.map((g) => ({
          group: g.group,
          state: g.state ?? null,
          generation: g.generation,
          members: g.members.length,
          total_lag: g.totalLag,
        })),
      });
    }
    if (groups.length === 0) return write(ctx.io.stdout, "no groups\n");
    return write(
      ctx.io.stdout,
      table(
        ["GROUP", "STATE", "MEMBERS", "GENERATION", "LAG"],
        groups.map((g) => [
          g.group,
          g.state ?? "-",
          String(g.members.length),
          String(g.generation),
          String(g.totalLag),
        ]),
      ),
    );
  }
  if (sub === "describe") {
    // Without a group: every group (kafka-consumer-groups --describe --all-groups).
    if (parsed.positionals.length === 0) {
      const all = await describeAll(ctx);
      if (ctx.json) return writeJson(ctx.io, { groups: all.map(groupJson) });
      if (all.length === 0) return write(ctx.io.stdout, "no groups\n");
      return write(ctx.io.stdout, all.map(describeText).join("\n"));
    }
    const [name] = positionals(parsed, ["group"]);
    const group = await admin.describeGroup(name!);
    return ctx.json ? writeJson(ctx.io, groupJson(group)) : write(ctx.io.stdout, describeText(group));
  }
  if (sub === "reset-offsets") return resetOffsets(ctx, parsed);
  throw new UsageError(`unknown command "groups ${sub}"; use list, describe or reset-offsets`);
}
