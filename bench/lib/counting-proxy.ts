/**
 * A counting forwarder between an agent and one stand-in (S3 or DynamoDB): every request is
 * forwarded unchanged and counted by operation from OUTSIDE the agent, so the counts hold for any
 * manifest layout. S3: PutObject / GetObject / List / Delete / Head with body bytes. DynamoDB: per
 * X-Amz-Target, the write units of each written item (its size decoded from the PutItem JSON;
 * other writes are priced by their request body, an upper bound), the read units of each item
 * read back (strong or eventual, from ConsistentRead), and conditional-check failures.
 */
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { itemBytes, readUnits, type WireItem, writeUnits } from "./dynamo-units.js";

export interface OpCount {
  count: number;
  /** S3: body bytes (PUT sent, GET received). DynamoDB: request body bytes. */
  bytes: number;
}

export interface Counts {
  /** By operation name (a Map: the names come from the requests). */
  ops: Map<string, OpCount>;
  /** DynamoDB only. */
  writeUnits: number;
  readUnits: number;
  strongReads: number;
  eventualReads: number;
  conditionalFailures: number;
  /** Bytes of every item written (PutItem), summed: item bytes / writes = mean item size. */
  itemBytesWritten: number;
}

export interface S3Request {
  key: string;
  /** `bytes=a-b` of a ranged GET, or undefined. */
  range?: string;
  bytes: number;
}

export interface CountingProxy {
  url: string;
  /** A copy of the counters so far; `diff(after, before)` gives a phase's counts. */
  snapshot(): Counts;
  /** The S3 requests seen while recording (bounded: the first `limit`). */
  recorded: { puts: S3Request[]; gets: S3Request[] };
  record(on: boolean): void;
  close(): Promise<void>;
}

const RECORD_LIMIT = 200_000;

export function emptyCounts(): Counts {
  return {
    ops: new Map(),
    writeUnits: 0,
    readUnits: 0,
    strongReads: 0,
    eventualReads: 0,
    conditionalFailures: 0,
    itemBytesWritten: 0,
  };
}

export function diff(after: Counts, before: Counts): Counts {
  const ops = new Map<string, OpCount>();
  for (const [name, op] of after.ops) {
    const was = before.ops.get(name) ?? { count: 0, bytes: 0 };
    if (op.count - was.count > 0) ops.set(name, { count: op.count - was.count, bytes: op.bytes - was.bytes });
  }
  return {
    ops,
    writeUnits: after.writeUnits - before.writeUnits,
    readUnits: after.readUnits - before.readUnits,
    strongReads: after.strongReads - before.strongReads,
    eventualReads: after.eventualReads - before.eventualReads,
    conditionalFailures: after.conditionalFailures - before.conditionalFailures,
    itemBytesWritten: after.itemBytesWritten - before.itemBytesWritten,
  };
}

export function opCount(counts: Counts, name: string): number {
  return counts.ops.get(name)?.count ?? 0;
}

/** Counts one request of `op` carrying `bytes`. */
function bump(counts: Counts, op: string, bytes: number): void {
  const entry = counts.ops.get(op);
  if (entry) {
    entry.count++;
    entry.bytes += bytes;
  } else counts.ops.set(op, { count: 1, bytes });
}

/** S3 operation of a path-style request: `/bucket` or `/bucket/key...`. */
export function s3Operation(method: string, url: string): { op: string; key?: string } {
  const [path = "", query = ""] = url.split("?", 2);
  const slash = path.indexOf("/", 1);
  const key = slash < 0 ? "" : decodeURIComponent(path.slice(slash + 1));
  if (!key) {
    if (method === "GET")
      return { op: query.includes("list-type") || query === "" ? "ListObjects" : "GetBucket" };
    return { op: `${method}Bucket` };
  }
  const op =
    method === "PUT"
      ? "PutObject"
      : method === "GET"
        ? "GetObject"
        : method === "DELETE"
          ? "DeleteObject"
          : method === "HEAD"
            ? "HeadObject"
            : method === "POST"
              ? "PostObject"
              : method;
  return { op, key };
}

interface DynamoRequest {
  Item?: WireItem;
  ConsistentRead?: boolean;
  TransactItems?: {
    Put?: { Item: WireItem };
    Update?: unknown;
    Delete?: unknown;
    ConditionCheck?: unknown;
  }[];
  RequestItems?: Record<string, { PutRequest?: { Item: WireItem }; DeleteRequest?: unknown }[]>;
}

interface DynamoResponse {
  Item?: WireItem;
  Items?: WireItem[];
  __type?: string;
}

/** Prices one DynamoDB request/response pair into `c` (pure: the unit test drives it). */
export function countDynamo(c: Counts, target: string, body: Buffer, status: number, response: Buffer): void {
  const op = target.split(".").pop() ?? target;
  bump(c, op, body.length);
  let req: DynamoRequest = {};
  try {
    req = JSON.parse(body.toString("utf8")) as DynamoRequest;
  } catch {
    // not JSON: counted, not priced
  }
  let res: DynamoResponse = {};
  try {
    res = response.length > 0 ? (JSON.parse(response.toString("utf8")) as DynamoResponse) : {};
  } catch {
    // not JSON
  }
  if (status >= 400 && (res.__type ?? "").includes("ConditionalCheckFailed")) c.conditionalFailures++;
  if (status >= 400 && (res.__type ?? "").includes("TransactionCanceled")) c.conditionalFailures++;
  switch (op) {
    case "PutItem": {
      const size = req.Item ? itemBytes(req.Item) : body.length;
      c.itemBytesWritten += size;
      c.writeUnits += writeUnits(size);
      break;
    }
    case "UpdateItem":
    case "DeleteItem":
      // The resulting / deleted item is not on the wire: its request body is an upper bound.
      c.writeUnits += writeUnits(body.length);
      break;
    case "TransactWriteItems":
      for (const t of req.TransactItems ?? []) {
        const size = t.Put ? itemBytes(t.Put.Item) : JSON.stringify(t).length;
        c.itemBytesWritten += t.Put ? size : 0;
        c.writeUnits += 2 * writeUnits(size);
      }
      break;
    case "BatchWriteItem":
      for (const requests of Object.values(req.RequestItems ?? {}))
        for (const r of requests) {
          const size = r.PutRequest ? itemBytes(r.PutRequest.Item) : 1;
          c.itemBytesWritten += r.PutRequest ? size : 0;
          c.writeUnits += writeUnits(size);
        }
      break;
    case "GetItem":
    case "Query":
    case "Scan": {
      const consistent = req.ConsistentRead === true;
      if (consistent) c.strongReads++;
      else c.eventualReads++;
      const items = res.Item ? [res.Item] : (res.Items ?? []);
      const bytes = items.reduce((n, item) => n + itemBytes(item), 0);
      c.readUnits += readUnits(bytes, consistent);
      break;
    }
  }
}

export async function startCountingProxy(target: string, kind: "s3" | "dynamodb"): Promise<CountingProxy> {
  const to = new URL(target);
  const upstreamAgent = new Agent({ keepAlive: true, maxSockets: 512 });
  const counts = emptyCounts();
  const recorded = { puts: [] as S3Request[], gets: [] as S3Request[] };
  let recording = false;

  const forward = (
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer | undefined,
    onResponse: (status: number, response: Buffer, bytes: number) => void,
    keepResponse: boolean,
  ) => {
    const headers = { ...req.headers };
    delete headers["accept-encoding"]; // responses must stay parseable
    const upstream = request(
      {
        host: to.hostname,
        port: to.port,
        method: req.method,
        path: req.url,
        headers,
        agent: upstreamAgent,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 500, up.headers);
        const chunks: Buffer[] = [];
        let bytes = 0;
        up.on("data", (chunk: Buffer) => {
          bytes += chunk.length;
          if (keepResponse) chunks.push(chunk);
          res.write(chunk);
        });
        up.on("end", () => {
          onResponse(up.statusCode ?? 500, keepResponse ? Buffer.concat(chunks) : Buffer.alloc(0), bytes);
          res.end();
        });
        up.on("error", () => res.destroy());
      },
    );
    upstream.on("error", () => res.destroy());
    if (body) upstream.end(body);
    else req.pipe(upstream);
  };

  const server: Server = createServer((req, res) => {
    if (kind === "s3") {
      const { op, key } = s3Operation(req.method ?? "GET", req.url ?? "/");
      let sent = 0;
      req.on("data", (chunk: Buffer) => {
        sent += chunk.length;
      });
      forward(
        req,
        res,
        undefined,
        (status, _response, received) => {
          bump(counts, op, op === "PutObject" ? sent : received);
          if (recording && key && status < 300) {
            if (op === "PutObject" && recorded.puts.length < RECORD_LIMIT)
              recorded.puts.push({ key, bytes: sent });
            if (op === "GetObject" && recorded.gets.length < RECORD_LIMIT) {
              const range = req.headers.range;
              recorded.gets.push({ key, bytes: received, ...(range ? { range } : {}) });
            }
          }
        },
        false,
      );
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const target = String(req.headers["x-amz-target"] ?? "unknown");
      forward(
        req,
        res,
        body,
        (status, response) => countDynamo(counts, target, body, status, response),
        true,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    snapshot: () => structuredClone(counts),
    recorded,
    record(on: boolean) {
      recording = on;
      if (on) {
        recorded.puts.length = 0;
        recorded.gets.length = 0;
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        upstreamAgent.destroy();
        server.close(() => resolve());
      }),
  };
}
