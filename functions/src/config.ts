/**
 * Configuration: the environment variable names live here, once, shared by the CDK stack (which
 * sets them) and every entry point (which parses them). Each entry point parses once into a typed
 * object; a bad value fails fast with a message naming the variable.
 */

export const ENV = {
  bucket: "FLOE_BUCKET",
  table: "FLOE_TABLE",
  storage: "FLOE_STORAGE",
  platform: "FLOE_PLATFORM",
  port: "FLOE_PORT",
  host: "FLOE_HOST",
  dataDir: "FLOE_DATA_DIR",
  s3Port: "FLOE_S3_PORT",
  dynamodbPort: "FLOE_DYNAMODB_PORT",
  lingerMs: "FLOE_LINGER_MS",
  segmentBytesMax: "FLOE_SEGMENT_BYTES_MAX",
  flushBytesMin: "FLOE_FLUSH_BYTES_MIN",
  inflightBytesMax: "FLOE_INFLIGHT_BYTES_MAX",
  requestBytesMax: "FLOE_REQUEST_BYTES_MAX",
  fetchBytesMax: "FLOE_FETCH_BYTES_MAX",
  waitMsMax: "FLOE_WAIT_MS_MAX",
  rangeCacheBytes: "FLOE_CACHE_BYTES",
  hotTailBytes: "FLOE_HOT_TAIL_BYTES",
  entryCacheBytes: "FLOE_ENTRY_CACHE_BYTES",
  headCacheBytes: "FLOE_HEAD_CACHE_BYTES",
  topicCacheBytes: "FLOE_TOPIC_CACHE_BYTES",
  memoryBytes: "FLOE_MEMORY_BYTES",
  lambdaMemoryMiB: "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
  commitTimeoutMs: "FLOE_COMMIT_TIMEOUT_MS",
  headCacheMs: "FLOE_HEAD_CACHE_MS",
  apiTokens: "FLOE_API_TOKENS",
  kafkaPort: "FLOE_KAFKA_PORT",
  kafkaAdvertised: "FLOE_KAFKA_ADVERTISED",
  kafkaInflightBytesMax: "FLOE_KAFKA_INFLIGHT_BYTES_MAX",
  region: "AWS_REGION",
  endpoint: "AWS_ENDPOINT_URL",
  s3Endpoint: "AWS_ENDPOINT_URL_S3",
  dynamodbEndpoint: "AWS_ENDPOINT_URL_DYNAMODB",
} as const;

/** Where the agent keeps its data: embedded stand-ins (local default) or real/emulated AWS. */
export type StorageMode = "embedded" | "aws";
/** Which limits apply: a container (long-running agent) or a Lambda invocation. */
export type Platform = "container" | "lambda";

export interface ServerLimits {
  /** Largest produce request body (api.md: 10 MiB in containers, 4 MiB on Lambda). */
  requestBytesMax: number;
  /** Most records in one produce request. */
  requestRecordsMax: number;
  /** Default and ceiling of a fetch's max_bytes (1 MiB default; at most 4 MiB on Lambda). */
  fetchBytesDefault: number;
  fetchBytesMax: number;
  /** Default and ceiling of a fetch's max_records. */
  fetchRecordsDefault: number;
  fetchRecordsMax: number;
  /** Ceiling of a fetch's `wait` (60 s on containers, 20 s behind API Gateway). */
  waitMsMax: number;
  /** Longest Server-Sent Events session before the server closes it with an `end` event. */
  sseSessionMsMax: number;
}

export interface AgentConfig {
  storage: StorageMode;
  platform: Platform;
  bucket: string;
  table: string;
  region: string;
  /** Explicit endpoints (else the SDK's own resolution of AWS_ENDPOINT_URL_* applies). */
  s3Endpoint?: string;
  dynamodbEndpoint?: string;
  host: string;
  port: number;
  dataDir: string;
  s3Port: number;
  dynamodbPort: number;
  /** Batching: flush after this long or this many bytes, whichever first. */
  lingerMs: number;
  segmentBytesMax: number;
  /** Group commit: a batch this large goes at once when no flush is running (no linger wait). */
  flushBytesMin: number;
  /** Accepted-but-unacknowledged produce bytes beyond which the agent answers 429. */
  inflightBytesMax: number;
  /** Cache budgets in bytes (each an upper bound of what that cache keeps alive). */
  rangeCacheBytes: number;
  hotTailBytes: number;
  entryCacheBytes: number;
  /** Applies twice: the fetch head cache and the committer's own heads + materialised keys. */
  headCacheBytes: number;
  topicCacheBytes: number;
  /** The memory the process may use; caches + in-flight bytes must leave a quarter of it. */
  memoryBytes: number;
  commitTimeoutMs: number;
  /** How stale a partition head a fetch may use (see EngineLimits.headCacheMs). */
  headCacheMs: number;
  /** Bearer tokens accepted; empty = no authentication (local use). */
  apiTokens: string[];
  /** Kafka listener port on containers (0 = off; Lambda never listens: it holds no connections). */
  kafkaPort: number;
  /** The `host:port` Kafka clients are told to connect to; default 127.0.0.1:<the bound port>. */
  kafkaAdvertised?: { host: string; port: number };
  /** Request bytes the Kafka listener holds across all connections (frames read, not answered yet). */
  kafkaInflightBytesMax: number;
  limits: ServerLimits;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

const MiB = 1024 * 1024;

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!(allowed as readonly string[]).includes(raw))
    throw new ConfigError(`${name} must be one of ${allowed.join(", ")}, got ${JSON.stringify(raw)}`);
  return raw as T;
}

export function limitsFor(platform: Platform, env: Env = {}): ServerLimits {
  const lambda = platform === "lambda";
  const requestCeiling = lambda ? 4 * MiB : 10 * MiB;
  const fetchCeiling = lambda ? 4 * MiB : 16 * MiB;
  const waitCeiling = lambda ? 20_000 : 60_000;
  const fetchBytesMax = int(env, ENV.fetchBytesMax, lambda ? 4 * MiB : 8 * MiB, 1024, fetchCeiling);
  return {
    requestBytesMax: int(env, ENV.requestBytesMax, requestCeiling, 1024, requestCeiling),
    requestRecordsMax: 1000,
    fetchBytesDefault: Math.min(MiB, fetchBytesMax),
    fetchBytesMax,
    fetchRecordsDefault: 1000,
    fetchRecordsMax: 10_000,
    waitMsMax: int(env, ENV.waitMsMax, waitCeiling, 0, waitCeiling),
    sseSessionMsMax: lambda ? 14 * 60_000 : 5 * 60_000,
  };
}

/** `host:port`, IPv6 hosts in brackets (`[::1]:9092`). */
function hostPort(env: Env, name: string): { host: string; port: number } | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(raw);
  const port = match ? Number(match[2]) : Number.NaN;
  if (!match || port < 1 || port > 65535)
    throw new ConfigError(
      `${name} must be host:port (e.g. kafka.example.com:9092), got ${JSON.stringify(raw)}`,
    );
  return { host: match[1]!.replace(/^\[|\]$/g, ""), port };
}

/** Parses the environment once per entry point. */
export function loadConfig(
  env: Env = process.env,
  defaults: { storage?: StorageMode; platform?: Platform } = {},
): AgentConfig {
  const storage = oneOf(env, ENV.storage, ["embedded", "aws"] as const, defaults.storage ?? "embedded");
  const platform = oneOf(
    env,
    ENV.platform,
    ["container", "lambda"] as const,
    defaults.platform ?? "container",
  );
  const bucket = env[ENV.bucket] ?? (storage === "embedded" ? "floe-segments" : "");
  const table = env[ENV.table] ?? (storage === "embedded" ? "floe-manifest" : "");
  if (!bucket) throw new ConfigError(`${ENV.bucket} is required: the S3 bucket holding segment objects`);
  if (!table) throw new ConfigError(`${ENV.table} is required: the DynamoDB manifest table`);
  const s3Endpoint = env[ENV.s3Endpoint] ?? env[ENV.endpoint];
  const dynamodbEndpoint = env[ENV.dynamodbEndpoint] ?? env[ENV.endpoint];
  const limits = limitsFor(platform, env);
  const lambda = platform === "lambda";
  const memoryBytes = memoryBytesOf(env, lambda);
  // Lambda defaults shrink with the function's memory (128 MiB functions exist); a container's
  // are sized for its 2 GiB task.
  const scaled = (bytes: number, fraction: number) =>
    lambda ? Math.min(bytes, Math.floor(memoryBytes * fraction)) : bytes;
  const inflightBytesMax = int(
    env,
    ENV.inflightBytesMax,
    Math.max(limits.requestBytesMax, scaled(256 * MiB, 1 / 4)),
    MiB,
    8192 * MiB,
  );
  const kafkaAdvertised = hostPort(env, ENV.kafkaAdvertised);
  if (inflightBytesMax < limits.requestBytesMax) {
    // Else a request larger than the in-flight budget would be throttled on every retry, forever.
    throw new ConfigError(
      `${ENV.inflightBytesMax} (${inflightBytesMax}) must be at least the largest request (${limits.requestBytesMax} bytes)`,
    );
  }
  const caches = {
    rangeCacheBytes: int(
      env,
      ENV.rangeCacheBytes,
      lambda ? scaled(64 * MiB, 1 / 8) : 256 * MiB,
      0,
      65536 * MiB,
    ),
    hotTailBytes: int(env, ENV.hotTailBytes, lambda ? 0 : 64 * MiB, 0, 65536 * MiB),
    entryCacheBytes: int(
      env,
      ENV.entryCacheBytes,
      scaled(lambda ? 16 * MiB : 64 * MiB, 1 / 32),
      0,
      65536 * MiB,
    ),
    // Topic states live here (3/4 of it): 64 MiB holds a 256-partition topic at the producer limits.
    headCacheBytes: int(
      env,
      ENV.headCacheBytes,
      scaled(lambda ? 4 * MiB : 64 * MiB, lambda ? 1 / 64 : 1 / 32),
      0,
      65536 * MiB,
    ),
    topicCacheBytes: int(env, ENV.topicCacheBytes, scaled(lambda ? MiB : 4 * MiB, 1 / 256), 0, 65536 * MiB),
  };
  checkMemoryBudget(caches, inflightBytesMax, memoryBytes);
  return {
    storage,
    platform,
    bucket,
    table,
    region: env[ENV.region] ?? env.AWS_DEFAULT_REGION ?? "us-east-1",
    ...(s3Endpoint ? { s3Endpoint } : {}),
    ...(dynamodbEndpoint ? { dynamodbEndpoint } : {}),
    host: env[ENV.host] ?? "127.0.0.1",
    port: int(env, ENV.port, 8080, 0, 65535),
    dataDir: env[ENV.dataDir] ?? "./.floe",
    s3Port: int(env, ENV.s3Port, 4569, 0, 65535),
    dynamodbPort: int(env, ENV.dynamodbPort, 4567, 0, 65535),
    lingerMs: int(env, ENV.lingerMs, platform === "lambda" ? 0 : 100, 0, 10_000),
    segmentBytesMax: int(env, ENV.segmentBytesMax, 8 * MiB, 64 * 1024, 64 * MiB),
    flushBytesMin: int(env, ENV.flushBytesMin, MiB, 1024, 64 * MiB),
    inflightBytesMax,
    ...caches,
    memoryBytes,
    commitTimeoutMs: int(env, ENV.commitTimeoutMs, 10_000, 100, 120_000),
    // 0: every fetch reads the head, so a record acknowledged by any agent is visible to the very
    // next fetch on every agent (read-your-writes across agents). Raising it saves DynamoDB reads
    // for hot tailing consumers at the price of up to this much staleness on other agents.
    headCacheMs: int(env, ENV.headCacheMs, 0, 0, 5_000),
    apiTokens: (env[ENV.apiTokens] ?? "")
      .split(",")
      .map((t) => t.trim())
      .filter(Boolean),
    // An ephemeral HTTP port (FLOE_PORT=0: tests spawning several agents) turns the Kafka listener
    // off unless FLOE_KAFKA_PORT asks for it, so agents on one host never fight over 9092.
    kafkaPort:
      platform === "lambda" ? 0 : int(env, ENV.kafkaPort, env[ENV.port]?.trim() === "0" ? 0 : 9092, 0, 65535),
    ...(kafkaAdvertised ? { kafkaAdvertised } : {}),
    kafkaInflightBytesMax: int(env, ENV.kafkaInflightBytesMax, 64 * MiB, 64 * 1024, 64 * 1024 * MiB),
    limits,
  };
}

/**
 * The memory the process may use: FLOE_MEMORY_BYTES, else the Lambda function's memory size, else
 * 2 GiB (the container task's default, infra/lib/container-agent.ts).
 */
function memoryBytesOf(env: Env, lambda: boolean): number {
  const lambdaMiB = lambda ? int(env, ENV.lambdaMemoryMiB, 0, 0, 10_240) : 0;
  return int(env, ENV.memoryBytes, lambdaMiB > 0 ? lambdaMiB * MiB : 2048 * MiB, 64 * MiB, 1024 * 1024 * MiB);
}

/**
 * Every cache budget plus the in-flight budget must leave a quarter of the memory for everything
 * else (V8's own overhead, request and response buffers, sockets, the SDKs): else the process is
 * killed out of memory under load instead of answering 429. The head cache budget counts twice.
 */
function checkMemoryBudget(
  caches: {
    rangeCacheBytes: number;
    hotTailBytes: number;
    entryCacheBytes: number;
    headCacheBytes: number;
    topicCacheBytes: number;
  },
  inflightBytesMax: number,
  memoryBytes: number,
): void {
  const used =
    caches.rangeCacheBytes +
    caches.hotTailBytes +
    caches.entryCacheBytes +
    2 * caches.headCacheBytes +
    caches.topicCacheBytes +
    inflightBytesMax;
  const allowed = Math.floor((memoryBytes * 3) / 4);
  if (used > allowed) {
    throw new ConfigError(
      `caches and in-flight bytes (${used}: ${ENV.rangeCacheBytes} + ${ENV.hotTailBytes} + ${ENV.entryCacheBytes} + 2 x ${ENV.headCacheBytes} + ${ENV.topicCacheBytes} + ${ENV.inflightBytesMax}) must leave a quarter of ${ENV.memoryBytes} (${memoryBytes}) free: at most ${allowed}`,
    );
  }
}
