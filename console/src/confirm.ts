/**
 * A confirmation in a modal <dialog> (focus is trapped by the browser, Escape cancels). With
 * `typeToConfirm`, the action button stays disabled until that text is typed: deleting a topic
 * asks for its name.
 */
import { el } from "./dom.js";

export function confirmAction(options: {
  title: string;
  message: string;
  action: string;
  typeToConfirm?: string;
}): Promise<boolean> {
  return new Promise((resolve) => {
    const input = el("input", {
      attrs: {
        type: "text",
        autocomplete: "off",
        spellcheck: "false",
        "aria-describedby": "confirm-message",
      },
    });
    const ok = el("button", { class: "danger", attrs: { type: "submit", value: "ok" } }, options.action);
    const cancel = el("button", { attrs: { type: "button" } }, "Cancel");
    const form = el(
      "form",
      { attrs: { method: "dialog" } },
      el("h2", {}, options.title),
      el("p", { attrs: { id: "confirm-message" } }, options.message),
      options.typeToConfirm !== undefined
        ? el("label", { class: "field" }, el("span", {}, `Type ${options.typeToConfirm} to confirm`), input)
        : null,
      el("div", { class: "actions" }, cancel, ok),
    );
    const dialog = el("dialog", { attrs: { "aria-labelledby": "confirm-title" } }, form);
    form.querySelector("h2")?.setAttribute("id", "confirm-title");
    const expected = options.typeToConfirm;
    if (expected !== undefined) {
      ok.disabled = true;
      input.addEventListener("input", () => {
        ok.disabled = input.value !== expected;
      });
    }
    let confirmed = false;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (expected !== undefined && input.value !== expected) return;
      confirmed = true;
      dialog.close();
    });
    cancel.addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(confirmed);
    });
    document.body.appendChild(dialog);
    dialog.showModal();
    (expected !== undefined ? input : cancel).focus();
  });
}
