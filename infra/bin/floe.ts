/**
 * The CDK app (`cdk.json` runs it with tsx): `npx cdk synth`, `npx cdk deploy -c compute=both`.
 * Choices come from context (infra/lib/settings.ts); account and region from the CLI's profile,
 * unset for a portable template.
 */
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { App } from "aws-cdk-lib";
import { FloeStack } from "../lib/floe-stack.js";
import { readSettings } from "../lib/settings.js";

const app = new App();
const { stackName, ...settings } = readSettings((key) => app.node.tryGetContext(key));
const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
new FloeStack(app, stackName, {
  settings,
  projectRoot,
  description: `Floe event log on S3 + DynamoDB (compute: ${settings.compute})`,
  ...(account && region ? { env: { account, region } } : {}),
});
app.synth();
