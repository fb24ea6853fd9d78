/**
 * Fetch as Server-Sent Events (api.md § Fetch): `batch` events (data = the fetch reply, id = the
 * next offset, so a reconnecting EventSource resumes with Last-Event-ID), `ping` while idle, an
 * `error` event (the error JSON) before closing on failure, and an explicit `end` event when the
 * session's time is up (sessions are bounded: load balancers, API Gateway and Lambda all cut
 * long responses, and a bounded session spreads reconnections over time).
 */
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { FetchStart } from "../engine/log.js";
import type { AppDeps } from "./deps.js";
import { stderrLogger, toFloeError } from "./errors.js";
import { type FetchPlan, jsonReply } from "./fetch-core.js";

/** An idle stream sends a ping this often (unless deps say otherwise), so proxies do not close it. */
export const PING_INTERVAL_MS = 15_000;
/** When the head watcher cannot take another waiter it returns at once: poll this often instead. */
const FALLBACK_POLL_MS = 500;

export async function openEventStream(
  c: Context,
  deps: AppDeps,
  topic: string,
  partition: number,
  plan: FetchPlan,
): Promise<Response> {
  // The first read happens before the stream opens, so a bad start still gets its status and JSON.
  const first = await deps.log.fetch(topic, partition, plan.start, plan.options);
  const meta = await deps.log.requirePartition(topic, partition);
  const { clock } = deps;
  const logError = deps.logError ?? stderrLogger;
  const pingMs = deps.ssePingMs ?? PING_INTERVAL_MS;

  return streamSSE(c, async (stream) => {
    const stop = new AbortController();
    const abort = () => stop.abort();
    c.req.raw.signal.addEventListener("abort", abort, { once: true });
    stream.onAbort(abort);
    const deadline = clock.now() + deps.limits.sseSessionMsMax;
    let lastEventAt = clock.now();
    let start: FetchStart = plan.start;
    let result = first;
    let offset = result.nextOffset;
    try {
      for (;;) {
        const reply = jsonReply(result, start, plan);
        offset = reply.next_offset;
        if (reply.records.length > 0) {
          await stream.writeSSE({ event: "batch", id: String(offset), data: JSON.stringify(reply) });
          lastEventAt = clock.now();
        }
        if (stop.signal.aborted) return;
        const before = clock.now();
        if (before >= deadline) break;
        let waitMs = 0;
        if (offset >= result.highWatermark) {
          waitMs = Math.min(deadline - before, Math.max(1, lastEventAt + pingMs - before));
          await deps.watcher.wait(meta, partition, offset, waitMs, stop.signal);
          if (stop.signal.aborted) return;
          if (clock.now() - lastEventAt >= pingMs) {
            await stream.writeSSE({ event: "ping", data: "{}" });
            lastEventAt = clock.now();
          }
        }
        start = { offset };
        result = await deps.log.fetch(topic, partition, start, plan.options);
        if (result.batches.length === 0 && clock.now() - before + 5 < waitMs) {
          // The wait returned early with nothing new (the watcher is full): poll instead of spinning.
          await clock.sleep(Math.min(FALLBACK_POLL_MS, Math.max(0, deadline - clock.now())));
        }
      }
      await stream.writeSSE({
        event: "end",
        id: String(offset),
        data: JSON.stringify({ next_offset: offset }),
      });
    } catch (error) {
      const failure = toFloeError(error, logError, { clientGone: stop.signal.aborted });
      await stream.writeSSE({ event: "error", data: JSON.stringify(failure.toJSON()) });
    } finally {
      c.req.raw.signal.removeEventListener("abort", abort);
    }
  });
}
