/** One record as an <article>: offset, time, key, value, headers, each shown by its kind. */
import type { ConsumerRecord } from "../../client/src/index.js";
import { el } from "./dom.js";
import { type Shown, showBytes, timeOf } from "./values.js";

function shownNode(shown: Shown): HTMLElement {
  switch (shown.kind) {
    case "null":
      return el("span", { class: "null" }, "null");
    case "json":
      return el("pre", { class: "json" }, shown.text);
    case "text":
      return el("pre", { class: "text" }, shown.text);
    case "binary":
      return el(
        "div",
        { class: "binary" },
        el("span", { class: "kind" }, `binary, ${shown.bytes} bytes`),
        el("span", { class: "label" }, "hex"),
        el("pre", { class: "hex" }, shown.hex),
        el("span", { class: "label" }, "base64"),
        el("pre", { class: "base64" }, shown.base64),
      );
  }
}

export function recordView(record: ConsumerRecord): HTMLElement {
  const value = showBytes(record.value);
  return el(
    "article",
    { class: "record", attrs: { "data-offset": record.offset, "data-kind": value.kind } },
    el(
      "header",
      {},
      el("strong", {}, `p${record.partition} @ ${record.offset}`),
      el("time", { attrs: { datetime: new Date(record.timestamp).toISOString() } }, timeOf(record.timestamp)),
    ),
    el(
      "dl",
      {},
      el("dt", {}, "key"),
      el("dd", { class: "key" }, shownNode(showBytes(record.key))),
      el("dt", {}, "value"),
      el("dd", { class: "value" }, shownNode(value)),
      record.headers.length > 0 ? el("dt", {}, "headers") : null,
      record.headers.length > 0
        ? el(
            "dd",
            { class: "headers" },
            el(
              "ul",
              {},
              ...record.headers.map((h) =>
                el("li", {}, el("code", {}, h.key), ": ", shownNode(showBytes(h.value))),
              ),
            ),
          )
        : null,
    ),
  );
}
