/**
 * One topic: its partitions (log start, high watermark, last record time), its config (alter),
 * a record browser by offset or time, a live tail over Server-Sent Events, and a produce form.
 */
import {
  type ConsumerRecord,
  type FetchStart,
  partitionForKey,
  type RecordHeader,
  type TopicConfig,
  type TopicDescription,
} from "../../../client/src/index.js";
import { streamPartition } from "../../../client/src/sdk/sse.js";
import { act, every, isAbort, type ViewContext } from "../context.js";
import { button, el, field, replace, table } from "../dom.js";
import { recordView } from "../record-view.js";
import { timeOf } from "../values.js";

const POLL_MS = 2_000;
/** Records kept in the live tail's list (oldest dropped first). */
export const TAIL_RECORDS_MAX = 200;
const BROWSE_RECORDS_MAX = 50;
/** Records kept in the browser's list across "Next page" (oldest dropped first). */
export const BROWSE_KEPT_MAX = 500;
/** Longest pause between two live-tail sessions that brought nothing. */
const RECONNECT_MS_MAX = 15_000;

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      "abort",
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
const CONFIG_KEYS = [
  "retention.ms",
  "retention.bytes",
  "cleanup.policy",
  "max.message.bytes",
  "delete.retention.ms",
];

function partitionSelect(name: string, count: number, withAuto = false): HTMLSelectElement {
  const select = el("select", { attrs: { name } });
  if (withAuto) select.appendChild(el("option", { attrs: { value: "" } }, "by key (or 0)"));
  for (let p = 0; p < count; p++) select.appendChild(el("option", { attrs: { value: p } }, String(p)));
  return select;
}

function section(id: string, title: string, ...body: Node[]): HTMLElement {
  return el("section", { attrs: { "aria-labelledby": id } }, el("h2", { attrs: { id } }, title), ...body);
}

export async function topicView(ctx: ViewContext, arg: string | undefined): Promise<void> {
  const name = decodeURIComponent(arg ?? "");
  let topic: TopicDescription = await ctx.client.admin.describeTopic(name);
  const partitions = el("div", { attrs: { "data-region": "partitions" } });
  const drawPartitions = () =>
    replace(
      partitions,
      table(
        ["Partition", "Log start", "High watermark", "Records", "Size"],
        topic.partitions.map((p) => [
          p.partition,
          p.logStartOffset,
          p.highWatermark,
          p.highWatermark - p.logStartOffset,
          "—",
        ]),
      ),
    );
  drawPartitions();

  replace(
    ctx.root,
    el("h1", {}, "Topic ", el("span", { class: "name" }, name)),
    el(
      "p",
      { class: "hint" },
      `${topic.partitionCount} partitions. Sizes in bytes are not reported by the HTTP API.`,
    ),
    section("partitions-title", "Partitions", partitions),
    section(
      "tail-title",
      "Live tail",
      // Each tail chunk carries its partition's bounds: the table follows the tail between polls.
      tailPanel(ctx, topic, (p, highWatermark, logStartOffset) => {
        const row = topic.partitions.find((x) => x.partition === p);
        if (row && highWatermark > row.highWatermark) {
          Object.assign(row, { highWatermark, logStartOffset });
          drawPartitions();
        }
      }),
    ),
    section("browse-title", "Browse records", browsePanel(ctx, topic)),
    section("produce-title", "Produce a record", producePanel(ctx, topic)),
    section(
      "config-title",
      "Config",
      configPanel(ctx, topic, (t) => (topic = t)),
    ),
  );
  every(ctx, POLL_MS, async () => {
    topic = await ctx.client.admin.describeTopic(name);
    drawPartitions();
  });
}

function tailPanel(
  ctx: ViewContext,
  topic: TopicDescription,
  onBounds: (partition: number, highWatermark: number, logStartOffset: number) => void,
): HTMLElement {
  const partition = partitionSelect("tail-partition", topic.partitionCount);
  const control = el(
    "button",
    { attrs: { type: "button", "aria-pressed": "false", "data-action": "tail" } },
    "Start live tail",
  );
  const status = el(
    "p",
    { class: "status", attrs: { role: "status", "data-tail-status": "stopped" } },
    "stopped",
  );
  const list = el("div", { class: "records", attrs: { "data-region": "tail" } });
  let running: AbortController | undefined;
  const show = (state: "stopped" | "starting" | "live", text: string) => {
    control.textContent = state === "stopped" ? "Start live tail" : "Stop live tail";
    control.setAttribute("aria-pressed", state === "stopped" ? "false" : "true");
    status.textContent = text;
    status.dataset.tailStatus = state;
  };
  const stop = () => {
    running?.abort();
    running = undefined;
    show("stopped", "stopped");
  };
  const start = () => {
    const controller = new AbortController();
    running = controller;
    const signal = AbortSignal.any([controller.signal, ctx.signal]);
    const p = Number(partition.value);
    show("starting", `connecting to partition ${p}`);
    void (async () => {
      // From the end of the log as it is now; each SSE session resumes where the last one stopped.
      let next = (await ctx.client.admin.tail(topic.name, p)).highWatermark;
      let quietSessions = 0;
      while (!signal.aborted) {
        // A session that ends without a batch (an idle session's time is up, a proxy cutting
        // streams) is followed by a growing pause, so reconnects never spin.
        if (quietSessions > 0) await pause(Math.min(RECONNECT_MS_MAX, 250 * 2 ** quietSessions), signal);
        quietSessions++;
        show("live", `tailing partition ${p} from offset ${next}`);
        for await (const chunk of streamPartition(ctx.client.transport, {
          topic: topic.name,
          partition: p,
          start: { offset: next },
          clamp: true,
          signal,
        })) {
          quietSessions = 0;
          for (const record of chunk.records) list.prepend(recordView(record));
          while (list.childElementCount > TAIL_RECORDS_MAX) list.lastElementChild?.remove();
          next = chunk.nextOffset;
          onBounds(p, chunk.highWatermark, chunk.logStartOffset);
          show("live", `tailing partition ${p}, next offset ${next}`);
        }
      }
    })().catch((error: unknown) => {
      if (isAbort(error, signal)) return;
      if (running === controller) stop();
      ctx.fail(error);
    });
  };
  control.addEventListener("click", () => (running ? stop() : start()));
  partition.addEventListener("change", () => {
    if (!running) return;
    stop();
    start();
  });
  ctx.signal.addEventListener("abort", () => running?.abort(), { once: true });
  return el(
    "div",
    {},
    el(
      "div",
      { class: "toolbar" },
      field("Partition", partition),
      control,
      button("Clear", () => replace(list)),
    ),
    status,
    list,
  );
}

function browsePanel(ctx: ViewContext, topic: TopicDescription): HTMLElement {
  const partition = partitionSelect("browse-partition", topic.partitionCount);
  const mode = el(
    "select",
    { attrs: { name: "browse-mode" } },
    el("option", { attrs: { value: "offset" } }, "from offset"),
    el("option", { attrs: { value: "timestamp" } }, "from time (UTC)"),
    el("option", { attrs: { value: "tail" } }, "last N records"),
  );
  const offset = el("input", { attrs: { type: "number", name: "browse-offset", min: 0, value: 0 } });
  const time = el("input", { attrs: { type: "datetime-local", name: "browse-time", step: 1 } });
  const last = el("input", { attrs: { type: "number", name: "browse-last", min: 1, value: 20 } });
  const offsetField = field("Offset", offset);
  const timeField = field("Time (UTC)", time);
  const lastField = field("N", last);
  const showMode = () => {
    offsetField.hidden = mode.value !== "offset";
    timeField.hidden = mode.value !== "timestamp";
    lastField.hidden = mode.value !== "tail";
  };
  mode.addEventListener("change", showMode);
  showMode();
  const status = el("p", { class: "status", attrs: { role: "status" } });
  const list = el("div", { class: "records", attrs: { "data-region": "browse" } });
  let nextOffset: number | undefined;
  const more = button("Next page", () => void read({ offset: nextOffset ?? 0 }, true));
  more.hidden = true;
  const read = (start: FetchStart, appendPage = false) =>
    act(ctx, async () => {
      const result = await ctx.client.fetch({
        topic: topic.name,
        partition: Number(partition.value),
        start,
        maxRecords: BROWSE_RECORDS_MAX,
        clamp: true,
        signal: ctx.signal,
      });
      if (!appendPage) replace(list);
      for (const r of result.records as ConsumerRecord[]) list.appendChild(recordView(r));
      while (list.childElementCount > BROWSE_KEPT_MAX) list.firstElementChild?.remove();
      nextOffset = result.nextOffset;
      more.hidden = result.nextOffset >= result.highWatermark;
      status.textContent = `${list.childElementCount} records shown; log ${result.logStartOffset}..${result.highWatermark}`;
    });
  const form = el(
    "form",
    { class: "inline-form" },
    field("Partition", partition),
    field("Start", mode),
    offsetField,
    timeField,
    lastField,
    el("button", { attrs: { type: "submit" } }, "Read"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (mode.value === "timestamp") {
      const ms = Date.parse(`${time.value}Z`);
      if (Number.isNaN(ms)) return ctx.notify("pick a time to read from", "error");
      void read({ timestamp: ms });
    } else if (mode.value === "tail") void read({ tailOffset: Number(last.value) });
    else void read({ offset: Number(offset.value) });
  });
  return el("div", {}, form, status, list, more);
}

/** "name: value" per line into headers (a line without a colon is a header with an empty value). */
export function parseHeaders(text: string): { key: string; value: string }[] {
  return text
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const colon = line.indexOf(":");
      return colon < 0
        ? { key: line.trim(), value: "" }
        : { key: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() };
    });
}

function producePanel(ctx: ViewContext, topic: TopicDescription): HTMLElement {
  const partition = partitionSelect("produce-partition", topic.partitionCount, true);
  const key = el("input", { attrs: { type: "text", name: "produce-key", autocomplete: "off" } });
  const value = el("textarea", { attrs: { name: "produce-value", rows: 4 } });
  const headers = el("textarea", { attrs: { name: "produce-headers", rows: 2, placeholder: "name: value" } });
  const result = el("p", { class: "status", attrs: { role: "status", "data-produce-result": "" } });
  const form = el(
    "form",
    { class: "stack-form" },
    field("Partition", partition),
    field("Key", key, "empty: no key"),
    field("Value", value),
    field("Headers", headers, "one per line, name: value"),
    el("button", { attrs: { type: "submit" } }, "Produce"),
    result,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const keyText = key.value === "" ? null : key.value;
    const p =
      partition.value !== ""
        ? Number(partition.value)
        : keyText === null
          ? 0
          : partitionForKey(new TextEncoder().encode(keyText), topic.partitionCount);
    const headerList: RecordHeader[] = parseHeaders(headers.value).map((h) => ({
      key: h.key,
      value: new TextEncoder().encode(h.value),
    }));
    void act(ctx, async () => {
      const written = await ctx.client.append(topic.name, p, [
        { key: keyText, value: value.value, headers: headerList },
      ]);
      result.textContent = `written to partition ${p} at offset ${written.baseOffset}`;
      result.dataset.produceResult = `${p}:${written.baseOffset}`;
    });
  });
  return form;
}

function configPanel(
  ctx: ViewContext,
  topic: TopicDescription,
  update: (t: TopicDescription) => void,
): HTMLElement {
  const inputs = new Map<string, HTMLInputElement>();
  const fields = CONFIG_KEYS.map((k) => {
    const input = el("input", { attrs: { type: "text", name: k, value: String(topic.config[k] ?? "") } });
    inputs.set(k, input);
    return field(k, input);
  });
  const partitions = el("input", {
    attrs: {
      type: "number",
      name: "partition-count",
      min: topic.partitionCount,
      value: topic.partitionCount,
    },
  });
  const result = el("p", { class: "status", attrs: { role: "status" } });
  const form = el(
    "form",
    { class: "inline-form" },
    ...fields,
    field("Partitions", partitions, "may only grow"),
    el("button", { attrs: { type: "submit" } }, "Save config"),
    result,
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const config: TopicConfig = {};
    for (const [k, input] of inputs) {
      const v = input.value.trim();
      if (v === "" || v === String(topic.config[k] ?? "")) continue;
      config[k] = /^-?\d+$/.test(v) ? Number(v) : v;
    }
    const count = Number(partitions.value);
    void act(ctx, async () => {
      const changed = await ctx.client.admin.alterTopic(topic.name, {
        config,
        ...(count > topic.partitionCount ? { partitions: count } : {}),
      });
      update(changed);
      topic = changed;
      result.textContent = `saved at ${timeOf(Date.now())}`;
    });
  });
  return form;
}
