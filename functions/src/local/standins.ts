/**
 * The embedded stand-ins for AWS: dynalite (DynamoDB) and s3rver (S3), in this process, on
 * loopback ports. `npm start` and the tests use them; the engine talks to them through the same
 * AWS adapters it uses on AWS, so only endpoints and credentials differ.
 *
 * With `dataDir`, state persists across restarts (`<dataDir>/dynamodb` is a LevelDB, `<dataDir>/s3`
 * the s3rver tree); without, DynamoDB lives in memory and S3 in a temp dir removed on stop.
 *
 * Known gaps in the stand-ins (the engine is built around them, see docs/ and the contract
 * canaries): dynalite has no transactions and no TTL; s3rver ignores If-None-Match and lists keys
 * in file-system walk order, which equals byte order only for keys whose `/`-separated segments
 * do not prefix one another at the same level (fixed-width segments, as the engine writes them).
 */
import { readFileSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type RequestListener, type Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createDynamoDbClient, standInAwsConfig } from "../adapters/aws/aws-clients.js";
import { ensureTable } from "../adapters/aws/ensure-resources.js";
import { patchS3rverListing, patchS3rverRanges } from "./s3rver-fixes.js";

const require = createRequire(import.meta.url);

export interface StandInOptions {
  /** Persist under this folder; absent: in memory / temp dir. */
  dataDir?: string;
  /** 0 or absent: any free port. */
  s3Port?: number;
  dynamodbPort?: number;
  /** Interface to listen on; loopback by default so nothing is exposed. */
  host?: string;
  bucket: string;
  table: string;
}

export interface StandIns {
  s3Endpoint: string;
  dynamodbEndpoint: string;
  bucket: string;
  table: string;
  stop(): Promise<void>;
}

/** dynalite's options (its index.js documents them; it ships no types). */
interface DynaliteOptions {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  path?: string;
}

/** The part of s3rver (a Koa app; ships no types) used here. */
interface S3rverInstance {
  configureBuckets(): Promise<unknown>;
  /** Koa's request listener. */
  callback(): RequestListener;
  /** The FilesystemStore behind the app (patched for ranges, see s3rver-fixes.ts). */
  store: unknown;
}

interface S3rverOptions {
  silent: boolean;
  directory: string;
  configureBuckets: Array<{ name: string }>;
}

const dynalite = require("dynalite") as (options: DynaliteOptions) => Server;
const S3rver = require("s3rver") as new (options: S3rverOptions) => S3rverInstance;

export async function startStandIns(options: StandInOptions): Promise<StandIns> {
  const host = options.host ?? "127.0.0.1";
  // Must happen before the first listing request; without it paginated listings answer 500
  // unless the process runs with NODE_OPTIONS=--openssl-legacy-provider (see s3rver-fixes.ts).
  patchS3rverListing();

  const tempDir = options.dataDir === undefined ? await mkdtemp(join(tmpdir(), "floe-s3-")) : undefined;
  const s3Dir = options.dataDir === undefined ? tempDir! : join(options.dataDir, "s3");
  await mkdir(s3Dir, { recursive: true });
  const dynamoDir = options.dataDir === undefined ? undefined : join(options.dataDir, "dynamodb");
  if (dynamoDir !== undefined) await mkdir(dynamoDir, { recursive: true });

  const stoppers: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    // Reverse order; every stopper runs even if one fails, and the first failure is reported.
    const failures: unknown[] = [];
    for (const stopper of stoppers.splice(0).reverse()) {
      await stopper().catch((error: unknown) => failures.push(error));
    }
    if (failures.length > 0) throw failures[0];
  };
  if (tempDir !== undefined) stoppers.push(() => rm(tempDir, { recursive: true, force: true }));
  if (options.dataDir !== undefined) stoppers.push(await lockDataDir(options.dataDir));

  try {
    const dynamoServer = dynalite({
      // Tables become ACTIVE at once instead of after dynalite's default 500 ms.
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
      ...(dynamoDir === undefined ? {} : { path: dynamoDir }),
    });
    // dynalite's close() also closes its LevelDB, releasing the lock for the next start.
    const closeDynamo = promisify(dynamoServer.close.bind(dynamoServer));
    const dynamoPort = await listen(dynamoServer, options.dynamodbPort ?? 0, host).catch(
      async (error: unknown) => {
        // The LevelDB is already open, and dynalite closes it only from close() on a listening
        // server; left open, it makes the next start on this data dir crash the process.
        await listen(dynamoServer, 0, "127.0.0.1");
        await closeDynamo();
        throw error;
      },
    );
    stoppers.push(() => closeServer(dynamoServer, closeDynamo));

    const s3rver = new S3rver({
      silent: true,
      directory: s3Dir,
      // Created straight in the store, no HTTP round trip; a no-op when it exists.
      configureBuckets: [{ name: options.bucket }],
    });
    patchS3rverRanges(s3rver.store);
    await s3rver.configureBuckets();
    // Our own server rather than s3rver.run(): run() leaves listen errors (EADDRINUSE) as an
    // unhandled 'error' event that kills the process instead of rejecting.
    const s3Server = createServer(s3rver.callback());
    const s3Port = await listen(s3Server, options.s3Port ?? 0, host);
    const closeS3 = promisify(s3Server.close.bind(s3Server));
    stoppers.push(() => closeServer(s3Server, closeS3));

    const endpoints = {
      s3Endpoint: `http://${urlHost(host)}:${s3Port}`,
      dynamodbEndpoint: `http://${urlHost(host)}:${dynamoPort}`,
    };
    const dynamodb = createDynamoDbClient(standInAwsConfig(endpoints));
    try {
      await ensureTable(dynamodb, options.table);
    } finally {
      dynamodb.destroy();
    }
    return { ...endpoints, bucket: options.bucket, table: options.table, stop };
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }
}

/**
 * One owner per data dir. A second dynalite on the same LevelDB does not fail cleanly: it crashes
 * the whole process later with an uncaught "Database is closed". A pid file turns that into a
 * clear error up front. A lock left by a dead process (SIGKILL) is taken over.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockPath = join(dataDir, "floe.lock");
  try {
    await writeFile(lockPath, String(process.pid), { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const owner = Number((await readFile(lockPath, "utf8").catch(() => "")).trim());
    if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
      throw new Error(
        `data dir ${dataDir} is in use by process ${owner} (a Floe agent or stand-ins; after SIGTERM it exits once it has drained): wait for it to exit, stop it (kill ${owner}), or set another FLOE_DATA_DIR (if no such process runs, delete ${lockPath})`,
      );
    }
    await writeFile(lockPath, String(process.pid));
  }
  // The pid file lives exactly as long as this process holds the data dir: if the process exits
  // before stop() got to it (an exit on a second signal, a crash while shutting down), the OS has
  // released dynalite's LevelDB, so the file goes too, synchronously, on the way out.
  const releaseOnExit = () => {
    try {
      if (readFileSync(lockPath, "utf8").trim() === String(process.pid)) rmSync(lockPath, { force: true });
    } catch {
      // Already gone, or not ours: nothing to release.
    }
  };
  process.once("exit", releaseOnExit);
  return async () => {
    process.removeListener("exit", releaseOnExit);
    await rm(lockPath, { force: true });
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * Clients keep sockets alive; `close()` alone would wait for them to go idle and time out, so
 * stop accepting first, then cut the remaining connections so close completes promptly.
 */
async function closeServer(server: Server, close: () => Promise<void>): Promise<void> {
  const closed = close();
  server.closeAllConnections();
  await closed;
}

function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
