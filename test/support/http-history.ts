/**
 * A client-side history over HTTP: produce and fetch through real agents, classify each outcome
 * the way testing.md says (2xx ok, 4xx definite failure, 5xx / reset / timeout unknown), and read
 * everything back for the checker.
 */
import type { AppendOp, FinalRead, Op, ReadOp } from "./history.js";

export interface HttpWorkload {
  agents: () => string[];
  topic: string;
  partitions: number;
  clients: number;
  opsPerClient: number;
  idempotentShare: number;
  readShare: number;
  random: () => number;
  /** Retries of an unknown-outcome idempotent append, each through a random live agent. */
  maxRetries: number;
  requestTimeoutMs?: number;
  /** Prefix of client names (and so of values): keeps values unique across rounds. */
  clientPrefix?: string;
}

async function post(
  url: string,
  body: unknown,
  timeoutMs: number,
): Promise<{ status: number; body: Record<string, unknown> } | "unknown"> {
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const json = (await res.json()) as Record<string, unknown>;
    if (res.status >= 500) return "unknown";
    return { status: res.status, body: json };
  } catch {
    return "unknown"; // reset, refused, timeout: the append may or may not have happened
  }
}

export async function runHttpWorkload(w: HttpWorkload): Promise<Op[]> {
  const history: Op[] = [];
  let opCounter = 0;
  const timeoutMs = w.requestTimeoutMs ?? 20_000;
  const pick = () => {
    const agents = w.agents();
    return agents[Math.floor(w.random() * agents.length)]!;
  };
  await Promise.all(
    Array.from({ length: w.clients }, async (_, c) => {
      const client = `${w.clientPrefix ?? ""}c${c}`;
      const idempotent = c < Math.round(w.clients * w.idempotentShare);
      const producers = new Map<number, { epoch: number; next: number }>();
      for (let i = 0; i < w.opsPerClient; i++) {
        const partition = Math.floor(w.random() * w.partitions);
        const opId = opCounter++;
        if (w.random() < w.readShare) {
          history.push(await readOnce(pick(), w.topic, partition, client, opId));
          continue;
        }
        const values = Array.from(
          { length: 1 + Math.floor(w.random() * 3) },
          (_, k) => `${client}-${i}-${k}`,
        );
        const seq = producers.get(partition) ?? { epoch: 0, next: 0 };
        const op: AppendOp = {
          kind: "append",
          client,
          opId,
          partition: `${partition}`,
          values,
          invokedAt: Date.now(),
          completedAt: 0,
          outcome: "unknown",
          idempotent,
        };
        const body = {
          records: values.map((value) => ({ value })),
          ...(idempotent ? { producer: { id: client, epoch: seq.epoch, sequence: seq.next } } : {}),
        };
        for (let attempt = 0; attempt <= (idempotent ? w.maxRetries : 0); attempt++) {
          const reply = await post(
            `${pick()}/v1/topics/${w.topic}/partitions/${partition}/records`,
            body,
            timeoutMs,
          );
          if (reply === "unknown" || reply.status === 429) {
            if (reply !== "unknown") await new Promise((r) => setTimeout(r, 50));
            continue;
          }
          if (reply.status === 200) {
            op.outcome = "ok";
            op.offsets = values.map((_, k) => Number(reply.body.base_offset) + k);
          } else {
            op.outcome = "fail";
            op.error = String(reply.body.error_code);
          }
          break;
        }
        op.completedAt = Date.now();
        if (op.outcome === "ok")
          producers.set(partition, { epoch: seq.epoch, next: seq.next + values.length });
        if (op.outcome === "unknown") producers.set(partition, { epoch: seq.epoch + 1, next: 0 });
        history.push(op);
      }
    }),
  );
  return history;
}

interface FetchReply {
  records: { offset: number; value: string | null }[];
  next_offset: number;
  high_watermark: number;
  log_start_offset: number;
}

const TAIL_OFFSET = 20;

async function readOnce(
  agent: string,
  topic: string,
  partition: number,
  client: string,
  opId: number,
): Promise<ReadOp> {
  const invokedAt = Date.now();
  let records: ReadOp["records"] = [];
  let highWatermark = 0;
  let from: number | undefined;
  try {
    const res = await fetch(
      `${agent}/v1/topics/${topic}/partitions/${partition}/records?tail_offset=${TAIL_OFFSET}&max_records=50`,
      { signal: AbortSignal.timeout(10_000) },
    );
    if (res.ok) {
      const reply = (await res.json()) as FetchReply;
      highWatermark = reply.high_watermark;
      // Where the server started, from the same head it answered with: the checker flags a skip.
      from = Math.max(reply.log_start_offset, reply.high_watermark - TAIL_OFFSET);
      records = reply.records.map((r) => ({ offset: r.offset, value: r.value ?? "" }));
    }
  } catch {
    // A failed read observed nothing.
  }
  return {
    kind: "read",
    client,
    opId,
    partition: `${partition}`,
    records,
    highWatermark,
    ...(from !== undefined ? { from } : {}),
    invokedAt,
    completedAt: Date.now(),
  };
}

export async function finalHttpRead(agent: string, topic: string, partitions: number): Promise<FinalRead[]> {
  const finals: FinalRead[] = [];
  for (let p = 0; p < partitions; p++) {
    const tail = (await (await fetch(`${agent}/v1/topics/${topic}/partitions/${p}/tail`)).json()) as {
      high_watermark: number;
      log_start_offset: number;
    };
    const records: FinalRead["records"] = [];
    let offset = tail.log_start_offset;
    while (offset < tail.high_watermark) {
      const res = await fetch(
        `${agent}/v1/topics/${topic}/partitions/${p}/records?offset=${offset}&max_records=1000`,
      );
      if (!res.ok) throw new Error(`final read of ${p}@${offset}: ${res.status} ${await res.text()}`);
      const reply = (await res.json()) as FetchReply;
      for (const r of reply.records) records.push({ offset: r.offset, value: r.value ?? "" });
      if (reply.next_offset <= offset) throw new Error(`final read made no progress at ${p}@${offset}`);
      offset = reply.next_offset;
    }
    finals.push({
      partition: `${p}`,
      logStartOffset: tail.log_start_offset,
      highWatermark: tail.high_watermark,
      records,
    });
  }
  return finals;
}
