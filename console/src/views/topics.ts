/** Topics: a filterable list, a create form, and delete with a typed confirmation. */
import type { TopicConfig, TopicDescription } from "../../../client/src/index.js";
import { confirmAction } from "../confirm.js";
import { act, type ViewContext } from "../context.js";
import { button, el, field, replace, table } from "../dom.js";
import { compact } from "../values.js";

export function topicHref(name: string): string {
  return `#/topics/${encodeURIComponent(name)}`;
}

export async function topicsView(ctx: ViewContext): Promise<void> {
  let topics: TopicDescription[] = [];
  const filter = el("input", {
    attrs: { type: "search", name: "filter", placeholder: "part of a name", autocomplete: "off" },
  });
  const list = el("div", { class: "list", attrs: { "aria-live": "polite" } });
  const draw = () => {
    const wanted = filter.value.trim().toLowerCase();
    const shown = topics.filter((t) => t.name.toLowerCase().includes(wanted));
    replace(
      list,
      table(
        ["Topic", "Partitions", "Records held", "retention.ms", "cleanup.policy", ""],
        shown.map((t) => [
          el("a", { attrs: { href: topicHref(t.name) } }, t.name),
          t.partitionCount,
          compact(t.partitions.reduce((n, p) => n + p.highWatermark - p.logStartOffset, 0)),
          String(t.config["retention.ms"] ?? "—"),
          String(t.config["cleanup.policy"] ?? "—"),
          button("Delete", () => void remove(t.name), "danger small"),
        ]),
        `${shown.length} of ${topics.length} topics`,
      ),
    );
  };
  const refresh = async () => {
    const names = await ctx.client.admin.listTopics();
    topics = await Promise.all(names.map((t) => ctx.client.admin.describeTopic(t.name)));
    topics.sort((a, b) => a.name.localeCompare(b.name));
    draw();
  };
  const remove = async (name: string) => {
    const sure = await confirmAction({
      title: "Delete topic",
      message: `Delete topic ${name} and every record in it? This cannot be undone.`,
      action: "Delete topic",
      typeToConfirm: name,
    });
    if (!sure) return;
    if (await act(ctx, () => ctx.client.admin.deleteTopic(name))) {
      ctx.notify(`deleted topic ${name}`);
      await act(ctx, refresh);
    }
  };
  filter.addEventListener("input", draw);

  const name = el("input", { attrs: { type: "text", name: "name", required: true, autocomplete: "off" } });
  const partitions = el("input", {
    attrs: { type: "number", name: "partitions", min: 1, value: 1, required: true },
  });
  const retention = el("input", {
    attrs: { type: "number", name: "retention.ms", min: -1, placeholder: "default" },
  });
  const policy = el(
    "select",
    { attrs: { name: "cleanup.policy" } },
    el("option", { attrs: { value: "" } }, "default"),
    el("option", { attrs: { value: "delete" } }, "delete"),
    el("option", { attrs: { value: "compact" } }, "compact"),
  );
  const create = el(
    "form",
    { class: "inline-form", attrs: { "aria-labelledby": "create-topic-title" } },
    el("h2", { attrs: { id: "create-topic-title" } }, "Create a topic"),
    field("Name", name),
    field("Partitions", partitions),
    field("retention.ms", retention, "-1 keeps records forever"),
    field("cleanup.policy", policy),
    el("button", { attrs: { type: "submit" } }, "Create topic"),
  );
  create.addEventListener("submit", (event) => {
    event.preventDefault();
    const config: TopicConfig = {};
    if (retention.value !== "") config["retention.ms"] = Number(retention.value);
    if (policy.value === "delete" || policy.value === "compact") config["cleanup.policy"] = policy.value;
    const topic = name.value.trim();
    void act(ctx, async () => {
      await ctx.client.admin.createTopic(topic, { partitions: Number(partitions.value), config });
      ctx.notify(`created topic ${topic}`);
      name.value = "";
      await refresh();
    });
  });

  replace(
    ctx.root,
    el("h1", {}, "Topics"),
    el(
      "div",
      { class: "toolbar" },
      field("Filter topics", filter),
      button("Refresh", () => void act(ctx, refresh)),
    ),
    list,
    create,
  );
  await act(ctx, refresh);
}
