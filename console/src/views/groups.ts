/**
 * Consumer groups: the list (state, members, total lag), and one group: members and their
 * assignment, committed offset and lag per partition, a lag chart over time, and a reset of an
 * inactive group's offsets (POST /v1/groups/{group}/offsets/reset, refused while members live).
 */
import type { GroupDescription } from "../../../client/src/index.js";
import { pathOf } from "../../../client/src/sdk/transport.js";
import { lagChart } from "../chart.js";
import { confirmAction } from "../confirm.js";
import { act, every, type ViewContext } from "../context.js";
import { el, field, replace, table } from "../dom.js";
import { topicHref } from "./topics.js";

const LIST_POLL_MS = 2_000;
const GROUP_POLL_MS = 1_000;
/** Lag samples kept per open group view (two minutes at one a second). */
export const LAG_SAMPLES_MAX = 120;

export function groupHref(name: string): string {
  return `#/groups/${encodeURIComponent(name)}`;
}

/** Redraws a region unless the keyboard focus is inside it (a redraw would throw focus away). */
function redraw(region: HTMLElement, ...children: Node[]): void {
  if (region.contains(document.activeElement)) return;
  replace(region, ...children);
}

export async function groupsView(ctx: ViewContext): Promise<void> {
  const list = el("div", { attrs: { "data-region": "groups" } });
  replace(ctx.root, el("h1", {}, "Consumer groups"), list);
  every(ctx, LIST_POLL_MS, async () => {
    const groups = await ctx.client.admin.listGroups();
    const described = await Promise.all(groups.map((g) => ctx.client.admin.describeGroup(g.group)));
    described.sort((a, b) => a.group.localeCompare(b.group));
    redraw(
      list,
      described.length === 0
        ? el("p", {}, "No consumer groups yet.")
        : table(
            ["Group", "State", "Members", "Generation", "Total lag"],
            described.map((g) => [
              el("a", { attrs: { href: groupHref(g.group) } }, g.group),
              g.state ?? "—",
              g.members.length,
              g.generation,
              g.totalLag,
            ]),
          ),
    );
  });
}

function assignmentText(tps: { topic: string; partitions: number[] }[]): string {
  return tps.length === 0 ? "—" : tps.map((t) => `${t.topic}: ${t.partitions.join(", ")}`).join("; ");
}

export async function groupView(ctx: ViewContext, arg: string | undefined): Promise<void> {
  const name = decodeURIComponent(arg ?? "");
  const summary = el("dl", { class: "summary", attrs: { "data-region": "group-summary" } });
  const chart = el("div", { class: "chart-box" });
  const members = el("div", { attrs: { "data-region": "members" } });
  const offsets = el("div", { attrs: { "data-region": "offsets" } });
  const samples: number[] = [];
  let latest: GroupDescription | undefined;

  const topic = el("select", { attrs: { name: "reset-topic" } });
  const to = el(
    "select",
    { attrs: { name: "reset-to" } },
    ...["earliest", "latest", "timestamp", "offset"].map((v) => el("option", { attrs: { value: v } }, v)),
  );
  const at = el("input", {
    attrs: { type: "number", name: "reset-value", min: 0, placeholder: "ms or offset" },
  });
  const submit = el("button", { class: "danger", attrs: { type: "submit" } }, "Reset offsets");
  const resetNote = el("p", { class: "hint", attrs: { role: "status" } });
  const reset = el(
    "form",
    { class: "inline-form" },
    field("Topic", topic),
    field("To", to),
    field("Timestamp or offset", at, "for to = timestamp or offset"),
    submit,
    resetNote,
  );
  reset.addEventListener("submit", (event) => {
    event.preventDefault();
    const body: Record<string, string | number> = { topic: topic.value, to: to.value };
    if (to.value === "timestamp") body.timestamp = Number(at.value);
    if (to.value === "offset") body.offset = Number(at.value);
    void (async () => {
      const sure = await confirmAction({
        title: "Reset offsets",
        message: `Move group ${name}'s committed offsets on ${topic.value} to ${to.value}${
          to.value === "timestamp" || to.value === "offset" ? ` ${at.value}` : ""
        }?`,
        action: "Reset offsets",
      });
      if (!sure) return;
      await act(ctx, async () => {
        await ctx.client.transport.json({
          method: "POST",
          path: pathOf("v1", "groups", name, "offsets", "reset"),
          json: body,
        });
        ctx.notify(`reset ${name} on ${topic.value} to ${to.value}`);
      });
    })();
  });

  replace(
    ctx.root,
    el("h1", {}, "Group ", el("span", { class: "name" }, name)),
    summary,
    el(
      "section",
      { attrs: { "aria-labelledby": "lag-title" } },
      el("h2", { attrs: { id: "lag-title" } }, "Lag over time"),
      chart,
    ),
    el(
      "section",
      { attrs: { "aria-labelledby": "offsets-title" } },
      el("h2", { attrs: { id: "offsets-title" } }, "Offsets and lag"),
      offsets,
    ),
    el(
      "section",
      { attrs: { "aria-labelledby": "members-title" } },
      el("h2", { attrs: { id: "members-title" } }, "Members"),
      members,
    ),
    el(
      "section",
      { attrs: { "aria-labelledby": "reset-title" } },
      el("h2", { attrs: { id: "reset-title" } }, "Reset offsets"),
      reset,
    ),
  );

  every(ctx, GROUP_POLL_MS, async () => {
    const g = await ctx.client.admin.describeGroup(name);
    latest = g;
    samples.push(g.totalLag);
    if (samples.length > LAG_SAMPLES_MAX) samples.shift();
    replace(
      summary,
      el("dt", {}, "State"),
      el("dd", { attrs: { "data-field": "state" } }, g.state ?? "—"),
      el("dt", {}, "Generation"),
      el("dd", {}, g.generation),
      el("dt", {}, "Members"),
      el("dd", { attrs: { "data-field": "members" } }, g.members.length),
      el("dt", {}, "Total lag"),
      el("dd", { attrs: { "data-field": "total-lag" } }, g.totalLag),
    );
    replace(chart, lagChart(samples, LAG_SAMPLES_MAX));
    redraw(
      offsets,
      table(
        ["Topic", "Partition", "Committed", "High watermark", "Lag"],
        g.offsets.map((o) => [
          el("a", { attrs: { href: topicHref(o.topic) } }, o.topic),
          o.partition,
          o.committedOffset ?? "—",
          o.highWatermark ?? "—",
          el("span", { attrs: { "data-lag": `${o.topic}/${o.partition}` } }, o.lag ?? "—"),
        ]),
      ),
    );
    redraw(
      members,
      g.members.length === 0
        ? el("p", {}, "No live members: the group is inactive.")
        : table(
            ["Member", "Assignment", "Revoking"],
            g.members.map((m) => [
              el("code", {}, m.memberId),
              assignmentText(m.assignment),
              assignmentText(m.revoking),
            ]),
          ),
    );
    const topics = [...new Set(g.offsets.map((o) => o.topic))].sort();
    if (
      Array.from(topic.options)
        .map((o) => o.value)
        .join("\n") !== topics.join("\n")
    )
      replace(topic, ...topics.map((t) => el("option", { attrs: { value: t } }, t)));
    const inactive = latest.members.length === 0;
    submit.disabled = !inactive || topics.length === 0;
    resetNote.textContent = inactive ? "" : "Offsets can be reset only while the group has no live members.";
  });
}
