/**
 * Reading a partition as Server-Sent Events (api.md § Fetch, `Accept: text/event-stream`).
 *
 *   stream  => event*
 *   event   => ("event:" name | "data:" text | "id:" offset | ":" comment)* blank-line
 *   events  => batch (data = a fetch reply, id = the next offset) | ping | error (data = an error
 *              body) | end (the session's time is up; reconnect with Last-Event-ID)
 *
 * The parser follows the WHATWG rules (multi-line data joined with "\n", CR/LF/CRLF line ends).
 */
import { FloeError } from "../errors.js";
import { type FetchResult, type FetchStart, fetchQuery } from "./fetcher.js";
import { fromJsonRecords } from "./records.js";
import { pathOf, type Transport } from "./transport.js";
import { int, obj } from "./wire.js";

export interface SseEvent {
  event: string;
  data: string;
  id: string | undefined;
}

/**
 * Splits a text/event-stream body into events.
 *
 * @example
 * for await (const e of parseEventStream(response.body!)) console.log(e.event, e.data);
 */
export async function* parseEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | undefined;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let lineEnd = buffer.search(/\r\n|\r|\n/);
      // A lone CR at the very end may be the first half of a CRLF: wait for more.
      while (lineEnd >= 0 && !(buffer[lineEnd] === "\r" && lineEnd === buffer.length - 1 && !done)) {
        const line = buffer.slice(0, lineEnd);
        buffer = buffer.slice(lineEnd + (buffer.startsWith("\r\n", lineEnd) ? 2 : 1));
        if (line === "") {
          if (data.length > 0 || event !== "") yield { event: event || "message", data: data.join("\n"), id };
          event = "";
          data = [];
        } else if (!line.startsWith(":")) {
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          let value = colon < 0 ? "" : line.slice(colon + 1);
          if (value.startsWith(" ")) value = value.slice(1);
          if (field === "event") event = value;
          else if (field === "data") data.push(value);
          else if (field === "id" && !value.includes("\u0000")) id = value;
        }
        lineEnd = buffer.search(/\r\n|\r|\n/);
      }
      if (done) return;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

export interface StreamRequest {
  topic: string;
  partition: number;
  start: FetchStart;
  maxBytes?: number | undefined;
  maxRecords?: number | undefined;
  clamp?: boolean | undefined;
  signal?: AbortSignal | undefined;
  /** Reconnect after this long without any event (the server pings every 15 s). Default 45 s. */
  idleTimeoutMs?: number | undefined;
}

/**
 * One SSE session on a partition: yields each `batch` as a fetch result, returns at `end` (or
 * when the server closes), throws the server's error on `error`. The caller reconnects from the
 * last `nextOffset` it saw.
 *
 * @example
 * for await (const chunk of streamPartition(transport, { topic: "t", partition: 0, start: { offset: 0 } }))
 *   handle(chunk.records);
 */
export async function* streamPartition(transport: Transport, r: StreamRequest): AsyncGenerator<FetchResult> {
  // The server pings an idle stream every 15 s; silence for much longer means a dead connection
  // that no TCP error will ever report, so it is cut here and the caller reconnects.
  const idle = new AbortController();
  let watchdog: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    clearTimeout(watchdog);
    watchdog = setTimeout(
      () => idle.abort(new FloeError("unavailable", "event stream silent for too long")),
      r.idleTimeoutMs ?? 45_000,
    );
  };
  try {
    arm();
    const response = await transport.request({
      method: "GET",
      path: pathOf("v1", "topics", r.topic, "partitions", r.partition, "records"),
      query: fetchQuery(r),
      accept: "text/event-stream",
      headers: { "Floe-Format": "base64" },
      // A session lasts minutes and the server ends it: only the idle watchdog may cut it short.
      extraTimeoutMs: 24 * 60 * 60 * 1000,
      signal: r.signal ? AbortSignal.any([r.signal, idle.signal]) : idle.signal,
    });
    if (response.body === null) return;
    for await (const e of parseEventStream(response.body)) {
      arm();
      if (e.event === "batch") {
        const o = obj(JSON.parse(e.data), "batch event");
        // The caller may take its time with a chunk; that silence is ours, not the server's.
        clearTimeout(watchdog);
        yield {
          records: fromJsonRecords(r.topic, r.partition, o.records),
          nextOffset: int(o, "next_offset"),
          highWatermark: int(o, "high_watermark"),
          logStartOffset: int(o, "log_start_offset"),
        };
        arm();
      } else if (e.event === "error") {
        let body: unknown;
        try {
          body = JSON.parse(e.data);
        } catch {
          body = undefined;
        }
        throw FloeError.fromBody(500, body);
      } else if (e.event === "end") {
        return;
      }
    }
  } catch (error) {
    if (idle.signal.aborted && !r.signal?.aborted) throw idle.signal.reason;
    throw error;
  } finally {
    clearTimeout(watchdog);
  }
}
