/**
 * `npm run deploy:local`: deploys the Floe stack to LocalStack with cdklocal (aws-cdk-local,
 * which points the CDK CLI at http://localhost:4566) and prints the endpoint.
 *
 * What LocalStack's free edition runs: S3, DynamoDB, Lambda (with Function URLs), IAM, Secrets
 * Manager, SNS, CloudWatch. Not in it: API Gateway v2 (HTTP APIs) and ECS/Fargate (paid plans),
 * so the deployment is compute=lambda behind a Function URL. Lambda response streaming arrived
 * in LocalStack in 2025; `FLOE_LOCAL_STREAMING=0` selects the buffered Function URL for older
 * versions. Extra context: FLOE_LOCAL_CONTEXT="-c lambdaMemoryMiB=512".
 *
 * Never run in CI here (no Docker engine); see docs/deploy.md § LocalStack for what is tested instead.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const OUTPUTS_FILE = "cdk.out/localstack-outputs.json";
/** How a Lambda container in LocalStack reaches LocalStack (its DNS resolves this name to itself). */
const LOCALSTACK_ENDPOINT_FOR_LAMBDA = "http://localhost.localstack.cloud:4566";

function run(args: string[]): void {
  process.stdout.write(`$ npx ${args.join(" ")}\n`);
  const result = spawnSync("npx", args, { stdio: "inherit", shell: process.platform === "win32" });
  if (result.status !== 0) {
    process.stderr.write(
      `floe: ${args.slice(0, 2).join(" ")} failed (exit ${result.status}); is LocalStack running on :4566?\n`,
    );
    process.exit(result.status ?? 1);
  }
}

const streaming = process.env.FLOE_LOCAL_STREAMING !== "0";
const context = [
  "-c",
  "compute=lambda",
  "-c",
  `lambdaEndpoint=${streaming ? "function-url" : "function-url-buffered"}`,
  // The host's architecture: LocalStack runs the function in a container like the host, and the
  // bundle then carries the native LZ4 binary npm installed here.
  "-c",
  `architecture=${process.arch === "arm64" ? "arm64" : "x86_64"}`,
  "-c",
  `awsEndpoint=${LOCALSTACK_ENDPOINT_FOR_LAMBDA}`,
  ...(process.env.FLOE_LOCAL_CONTEXT ?? "").split(/\s+/).filter(Boolean),
];

run(["cdklocal", "bootstrap", ...context]);
run(["cdklocal", "deploy", ...context, "--require-approval", "never", "--outputs-file", OUTPUTS_FILE]);

const outputs = JSON.parse(readFileSync(OUTPUTS_FILE, "utf8")) as Record<string, Record<string, string>>;
for (const [stack, values] of Object.entries(outputs)) {
  process.stdout.write(`\n${stack} on LocalStack\n`);
  for (const key of ["EndpointUrl", "BucketName", "TableName"]) {
    if (values[key] !== undefined) process.stdout.write(`  ${key.padEnd(12)} ${values[key]}\n`);
  }
}
