/**
 * The console's only way to make DOM: elements with attributes and text nodes. Data never goes
 * through HTML parsing (no innerHTML anywhere), so a record whose value is `<script>` is text.
 * Event handlers are attached with addEventListener, never as `on*` attributes (the CSP forbids
 * inline script anyway).
 */
export type Child = Node | string | number | null | undefined | false;

export interface Props {
  class?: string;
  /** Attribute name to value; `on*` names are refused. */
  attrs?: Record<string, string | number | boolean | undefined>;
  on?: Partial<{ [K in keyof HTMLElementEventMap]: (event: HTMLElementEventMap[K]) => void }>;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.class) node.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) setAttr(node, name, value);
  for (const [type, handler] of Object.entries(props.on ?? {}))
    node.addEventListener(type, handler as EventListener);
  append(node, ...children);
  return node;
}

export function setAttr(node: Element, name: string, value: string | number | boolean | undefined): void {
  if (/^on/i.test(name)) throw new Error(`event handler attributes are not allowed: ${name}`);
  if (value === undefined || value === false) node.removeAttribute(name);
  else node.setAttribute(name, value === true ? "" : String(value));
}

export function append(node: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

export function clear(node: Node): void {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/** Replaces a node's children. */
export function replace(node: Node, ...children: Child[]): void {
  clear(node);
  append(node, ...children);
}

/** A labelled form control: `<label>text <input></label>` keeps the label tied to the control. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLLabelElement {
  return el("label", { class: "field" }, el("span", {}, label), control, hint ? el("small", {}, hint) : null);
}

/** A table in a box that scrolls sideways when the window is narrower than the table. */
export function table(headers: string[], rows: Child[][], caption?: string): HTMLElement {
  return el(
    "div",
    { class: "table-wrap" },
    el(
      "table",
      {},
      caption ? el("caption", {}, caption) : null,
      el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { attrs: { scope: "col" } }, h)))),
      el("tbody", {}, ...rows.map((cells) => el("tr", {}, ...cells.map((c) => el("td", {}, c))))),
    ),
  );
}

export function button(text: string, onClick: () => void, className = ""): HTMLButtonElement {
  return el("button", { class: className, attrs: { type: "button" }, on: { click: () => onClick() } }, text);
}
