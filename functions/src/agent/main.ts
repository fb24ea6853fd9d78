/**
 * The container agent's entry point (`npm start`). With FLOE_STORAGE=embedded (the default) it
 * starts the stand-ins in-process (dynalite, s3rver) persisting under FLOE_DATA_DIR, so data
 * survives restarts; with FLOE_STORAGE=aws it uses the bucket and table named by FLOE_BUCKET and
 * FLOE_TABLE through the standard AWS SDK configuration (AWS, LocalStack, or shared stand-ins).
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { ConfigError, loadConfig } from "../config.js";
import { type ConsoleAssets, loadConsoleAssets } from "../http/console-assets.js";
import { type KafkaServer, startKafkaServer } from "../kafka/server.js";
import type { StandIns } from "../local/standins.js";
import { awsStores, createRuntime } from "../runtime.js";
import { startServer } from "./serve.js";

/**
 * The web console's built files (docs/console.md): beside the bundled agent in the container image
 * (infra/container/build-agent.ts puts them in ./console/), else in the source tree, where
 * `npm run build:console` writes them (`npm start` runs it first).
 */
function builtConsole(): ConsoleAssets | undefined {
  for (const dir of ["./console/", "../../../console/dist/"]) {
    const assets = loadConsoleAssets(fileURLToPath(new URL(dir, import.meta.url)));
    if (assets) return assets;
  }
  return undefined;
}

async function main(): Promise<void> {
  let config = loadConfig(process.env);
  let standIns: StandIns | undefined;
  if (config.storage === "embedded") {
    const dataDir = resolve(config.dataDir);
    // Loaded only here: dynalite and s3rver are development stand-ins, absent from production images.
    const { startStandIns } = await import("../local/standins.js");
    standIns = await startStandIns({
      dataDir,
      // Ephemeral ports unless asked: the agent is the only client of its embedded stand-ins.
      s3Port: process.env.FLOE_S3_PORT ? config.s3Port : 0,
      dynamodbPort: process.env.FLOE_DYNAMODB_PORT ? config.dynamodbPort : 0,
      bucket: config.bucket,
      table: config.table,
    });
    config = { ...config, s3Endpoint: standIns.s3Endpoint, dynamodbEndpoint: standIns.dynamodbEndpoint };
  }
  const stores = awsStores(config, { standIn: config.storage === "embedded" });
  const runtime = createRuntime(config, stores, { console: { assets: builtConsole() } });
  const server = await startServer(runtime, config.host, config.port);
  // The Kafka listener shares the runtime: same engine, batcher, caches (FLOE_KAFKA_PORT=0: off).
  const kafka: KafkaServer | undefined =
    config.kafkaPort === 0
      ? undefined
      : await startKafkaServer(runtime, {
          host: config.host,
          port: config.kafkaPort,
          ...(config.kafkaAdvertised ? { advertised: config.kafkaAdvertised } : {}),
        });
  const where = standIns
    ? `embedded stand-ins, data in ${resolve(config.dataDir)}`
    : `bucket ${config.bucket}, table ${config.table}`;
  process.stdout.write(`floe agent listening on ${server.url} (${where})\n`);
  process.stdout.write(`console on ${server.url}/console\n`);
  if (kafka)
    process.stdout.write(
      `kafka listening on ${config.host}:${kafka.port}, advertised as ${kafka.advertised}\n`,
    );
  if (standIns) process.stdout.write(`s3 ${standIns.s3Endpoint}\ndynamodb ${standIns.dynamodbEndpoint}\n`);

  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C means "now". A repeated SIGTERM does not: npm forwards the one it gets
      // to this process and supervisors may resend it, and exiting then would skip the drain
      // and leave the data-dir lock behind.
      if (signal === "SIGTERM") return;
      process.stderr.write(`floe: ${signal} again, exiting without waiting\n`);
      process.exit(1);
    }
    stopping = true;
    process.stderr.write(`floe: ${signal}: flushing accepted records, then stopping\n`);
    // Both drain at once: the HTTP close flushes the batcher, which answers Kafka produces too.
    // Whatever fails while draining, the stand-ins still stop, which releases the data-dir lock.
    let code = 0;
    try {
      await Promise.all([server.close(), kafka?.close()]);
      stores.destroy();
    } catch (error) {
      code = 1;
      process.stderr.write(
        `floe: while stopping: ${error instanceof Error ? error.message : String(error)}\n`,
      );
    } finally {
      await standIns?.stop().catch((error: unknown) => {
        code = 1;
        process.stderr.write(`floe: stopping the stand-ins: ${String(error)}\n`);
      });
    }
    process.exit(code);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) process.stderr.write(`floe: configuration error: ${error.message}\n`);
  else
    process.stderr.write(
      `floe: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  process.exit(1);
});
