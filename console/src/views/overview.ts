/**
 * The overview: this agent, topic and partition counts, records held, records in per second (the
 * growth of the high watermarks between two polls) and records consumed per second (the growth of
 * groups' committed offsets). The HTTP API reports no sizes in bytes, so none are shown.
 */
import type { FloeClient } from "../../../client/src/index.js";
import { every, type ViewContext } from "../context.js";
import { el, replace } from "../dom.js";
import { compact } from "../values.js";

const POLL_MS = 2_000;
/** Topics and groups described per poll, at most (each is one request). */
const DESCRIBED_MAX = 100;

interface Sample {
  atMs: number;
  highWatermarks: number;
  committed: number;
}

async function health(client: FloeClient): Promise<Map<string, string>> {
  const reply = await client.transport.json({ method: "GET", path: "/healthz" });
  const out = new Map<string, string>();
  if (reply && typeof reply === "object")
    for (const [k, v] of Object.entries(reply)) if (typeof v !== "object") out.set(k, String(v));
  return out;
}

function card(label: string, value: string, id: string): HTMLElement {
  return el(
    "div",
    { class: "card", attrs: { role: "group", "aria-labelledby": `${id}-label` } },
    el("span", { class: "label", attrs: { id: `${id}-label` } }, label),
    el("span", { class: "figure", attrs: { "data-figure": id } }, value),
  );
}

export async function overviewView(ctx: ViewContext): Promise<void> {
  const cards = el("div", { class: "cards" });
  const agent = el("dl", { class: "agent" });
  replace(
    ctx.root,
    el("h1", {}, "Overview"),
    cards,
    el("h2", {}, "This agent"),
    agent,
    el("p", { class: "hint" }, "Sizes in bytes are not reported by the HTTP API."),
  );
  let previous: Sample | undefined;
  every(ctx, POLL_MS, async () => {
    const [info, topics, groups] = await Promise.all([
      health(ctx.client),
      ctx.client.admin.listTopics(),
      ctx.client.admin.listGroups(),
    ]);
    const described = await Promise.all(
      topics.slice(0, DESCRIBED_MAX).map((t) => ctx.client.admin.describeTopic(t.name)),
    );
    const groupInfo = await Promise.all(
      groups.slice(0, DESCRIBED_MAX).map((g) => ctx.client.admin.describeGroup(g.group)),
    );
    const partitions = topics.reduce((n, t) => n + t.partitionCount, 0);
    let held = 0;
    let highWatermarks = 0;
    for (const t of described)
      for (const p of t.partitions) {
        held += p.highWatermark - p.logStartOffset;
        highWatermarks += p.highWatermark;
      }
    let committed = 0;
    for (const g of groupInfo) for (const o of g.offsets) committed += o.committedOffset ?? 0;
    const now: Sample = { atMs: Date.now(), highWatermarks, committed };
    const seconds = previous ? (now.atMs - previous.atMs) / 1000 : 0;
    const rate = (a: number, b: number) =>
      previous && seconds > 0 ? compact(Math.max(0, a - b) / seconds) : "—";
    const inRate = rate(now.highWatermarks, previous?.highWatermarks ?? 0);
    const outRate = rate(now.committed, previous?.committed ?? 0);
    previous = now;
    replace(
      cards,
      card("Agents", "1 (this one)", "agents"),
      card("Topics", String(topics.length), "topics"),
      card("Partitions", String(partitions), "partitions"),
      card("Records held", compact(held), "records"),
      card("Records in / s", inRate, "in-rate"),
      card("Records consumed / s", outRate, "out-rate"),
      card("Consumer groups", String(groups.length), "groups"),
    );
    replace(agent, ...[...info].flatMap(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
  });
}
