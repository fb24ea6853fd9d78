/**
 * What every view gets: the SDK client (same origin, optional bearer token), the element to draw
 * in, an AbortSignal that fires when the view is left (it stops polling and live tails), and a
 * place to report errors.
 */
import { type FloeClient, FloeError } from "../../client/src/index.js";

export interface ViewContext {
  client: FloeClient;
  root: HTMLElement;
  signal: AbortSignal;
  /** Shows a message in the status line (aria-live). */
  notify(message: string, kind?: "info" | "error"): void;
  /** Reports a failure: an auth failure opens the key prompt, anything else goes to the status line. */
  fail(error: unknown): void;
}

export type View = (ctx: ViewContext, arg: string | undefined) => void | Promise<void>;

export function errorText(error: unknown): string {
  if (error instanceof FloeError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

export function isAbort(error: unknown, signal: AbortSignal): boolean {
  return signal.aborted || (error instanceof DOMException && error.name === "AbortError");
}

/**
 * Runs `task` now and then `intervalMs` after each run ends (never two at once) until the view is
 * left. A failed run is reported and the next one still happens.
 */
export function every(ctx: ViewContext, intervalMs: number, task: () => Promise<void>): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = async () => {
    if (ctx.signal.aborted) return;
    try {
      await task();
    } catch (error) {
      if (!isAbort(error, ctx.signal)) ctx.fail(error);
    }
    if (!ctx.signal.aborted) timer = setTimeout(run, intervalMs);
  };
  ctx.signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
  void run();
}

/** Runs a user action, reporting its failure; returns whether it succeeded. */
export async function act(ctx: ViewContext, action: () => Promise<void>): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (error) {
    if (!isAbort(error, ctx.signal)) ctx.fail(error);
    return false;
  }
}
