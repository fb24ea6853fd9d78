/**
 * The HTTP layer every SDK call goes through: base URL, bearer token, timeouts, and the one
 * place where a reply becomes either a `Response` or a `FloeError` from the shared table.
 *
 * Failures that never produced a reply (connection refused or reset, a timeout) become
 * `unavailable`: the table marks it retriable but not side-effect-free, which is exactly what
 * such a failure is — the request may or may not have reached the server.
 */
import { FloeError } from "../errors.js";

/** The `fetch` signature the client needs; the global one, undici's or a test double all fit. */
export type FetchFn = (input: string, init: RequestInit) => Promise<Response>;

export interface TransportOptions {
  /** Base URL of a Floe agent or API, e.g. `http://127.0.0.1:8080`. */
  url: string;
  /** Bearer token sent as `Authorization: Bearer <token>`, when the deployment requires one. */
  token?: string | undefined;
  /** Replaces the global `fetch` (tests, proxies, custom agents). */
  fetch?: FetchFn | undefined;
  /** Time allowed for one request beyond any long-poll `wait` it asks for. Default 30 s. */
  requestTimeoutMs?: number | undefined;
  /** Extra headers on every request (e.g. a tracing id). */
  headers?: Record<string, string> | undefined;
}

export type QueryValue = string | number | boolean | undefined;

export interface RequestSpec {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** Path below the base URL, already escaped (see `pathOf`). */
  path: string;
  query?: Record<string, QueryValue>;
  /** A JSON body (serialised here) or raw bytes with their `contentType`. */
  json?: unknown;
  body?: Uint8Array;
  contentType?: string;
  accept?: string;
  headers?: Record<string, string>;
  /** Added to the request timeout: a long-poll may legitimately take this long. */
  extraTimeoutMs?: number;
  signal?: AbortSignal | undefined;
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Joins path segments, escaping each one, so a topic named `a/b` can never address another route.
 *
 * @example
 * pathOf("v1", "topics", "orders", "partitions", 3, "records"); // "/v1/topics/orders/partitions/3/records"
 */
export function pathOf(...segments: (string | number)[]): string {
  return `/${segments.map((s) => encodeURIComponent(String(s))).join("/")}`;
}

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date), if present and sane. */
export function retryAfterSeconds(header: string | null, nowMs: number = Date.now()): number | undefined {
  if (header === null || header.trim() === "") return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, (date - nowMs) / 1000) : undefined;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === "AbortError" || error.name === "TimeoutError");
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = cause && typeof cause === "object" ? (cause as { code?: unknown }).code : undefined;
  return typeof code === "string" ? `${error.message} (${code})` : error.message;
}

export class Transport {
  readonly baseUrl: string;
  private readonly fetchFn: FetchFn;
  private readonly token: string | undefined;
  private readonly timeoutMs: number;
  private readonly extraHeaders: Record<string, string>;

  constructor(options: TransportOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new TypeError(`invalid Floe URL ${JSON.stringify(options.url)}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new TypeError(`Floe URL must be http or https, got ${url.protocol}`);
    }
    this.baseUrl = url.href.replace(/\/+$/, "");
    const globalFetch: FetchFn | undefined =
      typeof fetch === "function" ? (i, init) => fetch(i, init) : undefined;
    const chosen = options.fetch ?? globalFetch;
    if (chosen === undefined) throw new TypeError("no fetch available: pass options.fetch");
    this.fetchFn = chosen;
    this.token = options.token;
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.extraHeaders = options.headers ?? {};
  }

  /**
   * Sends one request and returns the 2xx reply unread; anything else throws a `FloeError`.
   * An abort by the caller's own `signal` rethrows the abort error untouched (it is not a fault).
   *
   * @example
   * const reply = await transport.request({ method: "GET", path: pathOf("v1", "topics") });
   * const body = await reply.json();
   */
  async request(spec: RequestSpec): Promise<Response> {
    const url = this.urlOf(spec.path, spec.query);
    const headers: Record<string, string> = { ...this.extraHeaders, ...spec.headers };
    if (this.token !== undefined) headers.Authorization = `Bearer ${this.token}`;
    if (spec.accept !== undefined) headers.Accept = spec.accept;
    // BodyInit wants an ArrayBuffer-backed view; our bytes always are (never a SharedArrayBuffer).
    let body: BodyInit | undefined;
    if (spec.json !== undefined) {
      body = JSON.stringify(spec.json);
      headers["Content-Type"] = "application/json";
    } else if (spec.body !== undefined) {
      body = spec.body as Uint8Array<ArrayBuffer>;
      headers["Content-Type"] = spec.contentType ?? "application/octet-stream";
    }
    const timeout = AbortSignal.timeout(this.timeoutMs + (spec.extraTimeoutMs ?? 0));
    const signal = spec.signal ? AbortSignal.any([spec.signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await this.fetchFn(url, { method: spec.method, headers, body: body ?? null, signal });
    } catch (error) {
      if (spec.signal?.aborted) throw spec.signal.reason ?? error;
      const timedOut = timeout.aborted || isAbort(error);
      throw new FloeError(
        "unavailable",
        timedOut
          ? `${spec.method} ${spec.path} timed out; it may or may not have taken effect`
          : `${spec.method} ${spec.path} failed: ${describeCause(error)}`,
        { reason: timedOut ? "timeout" : "network" },
      );
    }
    if (response.ok) return response;
    throw await errorOf(response);
  }

  /**
   * Sends a request and parses its JSON reply (an empty 204 reply gives `undefined`).
   *
   * @example
   * const topics = await transport.json({ method: "GET", path: pathOf("v1", "topics") });
   */
  async json(spec: RequestSpec): Promise<unknown> {
    const response = await this.request({ accept: "application/json", ...spec });
    const text = await response.text();
    if (text === "") return undefined;
    try {
      return JSON.parse(text);
    } catch {
      throw new FloeError("internal", `${spec.method} ${spec.path} replied with malformed JSON`, {
        status: response.status,
      });
    }
  }

  private urlOf(path: string, query: Record<string, QueryValue> | undefined): string {
    let url = this.baseUrl + path;
    if (query) {
      const params = new URLSearchParams();
      for (const [name, value] of Object.entries(query)) {
        if (value !== undefined) params.set(name, String(value));
      }
      const text = params.toString();
      if (text !== "") url += `?${text}`;
    }
    return url;
  }
}

/** Rebuilds the server's error from a non-2xx reply (a body that is not ours still maps by status). */
export async function errorOf(response: Response): Promise<FloeError> {
  let body: unknown;
  try {
    body = JSON.parse(await response.text());
  } catch {
    body = undefined;
  }
  return FloeError.fromBody(response.status, body, retryAfterSeconds(response.headers.get("retry-after")));
}
