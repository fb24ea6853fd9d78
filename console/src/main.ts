/**
 * The console's entry point: the layout, a hash router (#/overview, #/topics, #/topics/<name>,
 * #/groups, #/groups/<name>) and the key prompt. Each view gets a fresh AbortSignal; leaving
 * the view aborts it, which stops its polling and live tails.
 */
import { FloeClient, FloeError } from "../../client/src/index.js";
import { errorText, type View, type ViewContext } from "./context.js";
import { el, replace } from "./dom.js";
import { groupsView, groupView } from "./views/groups.js";
import { overviewView } from "./views/overview.js";
import { topicView } from "./views/topic.js";
import { topicsView } from "./views/topics.js";

const TOKEN_KEY = "floe-console-token";

const ROUTES: ReadonlyMap<string, View> = new Map<string, View>([
  ["overview", overviewView],
  ["topics", (ctx, arg) => (arg === undefined ? topicsView(ctx) : topicView(ctx, arg))],
  ["groups", (ctx, arg) => (arg === undefined ? groupsView(ctx) : groupView(ctx, arg))],
]);

function makeClient(): FloeClient {
  const token = sessionStorage.getItem(TOKEN_KEY) ?? undefined;
  return new FloeClient({ url: location.origin, token });
}

let client = makeClient();
let current: AbortController | undefined;
const root = el("main", { attrs: { id: "view", tabindex: "-1" } });
const statusLine = el("p", { class: "status-line", attrs: { role: "status", "aria-live": "polite" } });

function notify(message: string, kind: "info" | "error" = "info"): void {
  statusLine.textContent = message;
  statusLine.dataset.kind = kind;
}

let prompting = false;
function promptForKey(reason: string): void {
  if (prompting) return;
  prompting = true;
  const input = el("input", {
    attrs: { type: "password", name: "token", autocomplete: "off", required: true },
  });
  const form = el(
    "form",
    { attrs: { method: "dialog" } },
    el("h2", { attrs: { id: "key-title" } }, "API key"),
    el("p", {}, reason),
    el("label", { class: "field" }, el("span", {}, "Bearer token"), input),
    el("div", { class: "actions" }, el("button", { attrs: { type: "submit" } }, "Use this key")),
  );
  const dialog = el("dialog", { attrs: { "aria-labelledby": "key-title" } }, form);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, input.value);
    client = makeClient();
    dialog.close();
  });
  dialog.addEventListener("close", () => {
    dialog.remove();
    prompting = false;
    route();
  });
  document.body.appendChild(dialog);
  dialog.showModal();
  input.focus();
}

function fail(error: unknown): void {
  if (error instanceof FloeError && error.code === "unauthenticated") {
    promptForKey("This agent requires an API key. It is kept for this tab only (sessionStorage).");
    return;
  }
  notify(errorText(error), "error");
}

function route(): void {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const [name = "overview", arg] = location.hash.replace(/^#\/?/, "").split("/", 2);
  const view = ROUTES.get(name) ?? overviewView;
  for (const link of Array.from(document.querySelectorAll("nav a"))) {
    if (link.getAttribute("data-route") === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  replace(root, el("p", { class: "hint" }, "Loading…"));
  const ctx: ViewContext = { client, root, signal: controller.signal, notify, fail };
  Promise.resolve()
    .then(() => view(ctx, arg === undefined || arg === "" ? undefined : arg))
    .catch((error: unknown) => {
      if (!controller.signal.aborted) fail(error);
    });
}

function layout(): void {
  const nav = el(
    "nav",
    { attrs: { "aria-label": "Console sections" } },
    ...[
      ["overview", "Overview"],
      ["topics", "Topics"],
      ["groups", "Consumer groups"],
    ].map(([id, label]) => el("a", { attrs: { href: `#/${id}`, "data-route": id } }, label ?? "")),
  );
  const forget = el("button", { class: "small", attrs: { type: "button" } }, "Forget key");
  forget.addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    client = makeClient();
    route();
  });
  const skip = el("a", { class: "skip", attrs: { href: "#view" } }, "Skip to content");
  skip.addEventListener("click", (event) => {
    event.preventDefault();
    root.focus();
  });
  replace(
    document.body,
    skip,
    el("header", {}, el("span", { class: "brand" }, "Floe console"), nav, forget),
    statusLine,
    root,
  );
}

layout();
window.addEventListener("hashchange", () => {
  notify("");
  route();
});
route();
