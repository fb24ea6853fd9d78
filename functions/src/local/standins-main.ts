/**
 * `npm run stand-ins`: DynamoDB (dynalite) and S3 (s3rver) on fixed local ports, persisting under
 * a data folder, for running agents, the CLI or the aws CLI against. Prints one line per endpoint
 * and nothing else on stdout, so scripts can read them:
 *
 *   s3 http://127.0.0.1:4569
 *   dynamodb http://127.0.0.1:4567
 *
 * Environment: FLOE_S3_PORT (4569), FLOE_DYNAMODB_PORT (4567), FLOE_BUCKET (floe-segments),
 * FLOE_TABLE (floe-manifest), FLOE_DATA_DIR (./.floe). Credentials for clients: S3RVER / S3RVER.
 */
import { resolve } from "node:path";
import { startStandIns } from "./standins.js";

interface StandInsMainConfig {
  s3Port: number;
  dynamodbPort: number;
  bucket: string;
  table: string;
  dataDir: string;
}

function parsePort(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${name} must be a port number (0..65535), got ${JSON.stringify(raw)}`);
  }
  return port;
}

function readConfig(): StandInsMainConfig {
  return {
    s3Port: parsePort("FLOE_S3_PORT", 4569),
    dynamodbPort: parsePort("FLOE_DYNAMODB_PORT", 4567),
    bucket: process.env.FLOE_BUCKET || "floe-segments",
    table: process.env.FLOE_TABLE || "floe-manifest",
    dataDir: resolve(process.env.FLOE_DATA_DIR || "./.floe"),
  };
}

async function main(): Promise<void> {
  const config = readConfig();
  const standIns = await startStandIns(config);
  process.stdout.write(`s3 ${standIns.s3Endpoint}\ndynamodb ${standIns.dynamodbEndpoint}\n`);

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    standIns.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`stand-ins: error while stopping on ${signal}: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`stand-ins: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
