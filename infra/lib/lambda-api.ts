/**
 * Floe on Lambda: one function bundled from functions/src/lambda/index.ts with the local esbuild
 * (never Docker), reached through either
 *
 *   function-url  a Function URL in RESPONSE_STREAM mode (index.streamHandler): Server-Sent
 *                 Events and long reads stream, sessions up to 14 min; no per-request API charge.
 *   function-url-buffered
 *                 a Function URL in BUFFERED mode (index.handler): for emulators without response
 *                 streaming (older LocalStack); replies as through the HTTP API.
 *   http-api      an API Gateway HTTP API, payload v2 (index.handler): buffered replies, a 29 s
 *                 integration timeout Floe stays under (`wait` ≤ 20 s, SSE sessions cut at 20 s).
 *
 * Authentication: `iam` (SigV4-signed requests; AWS_IAM on the URL, the IAM authorizer on the
 * API) or `token` (the endpoint is open and the app checks `Authorization: Bearer` against
 * FLOE_API_TOKENS from a generated secret).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Annotations, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import { HttpIamAuthorizer } from "aws-cdk-lib/aws-apigatewayv2-authorizers";
import { HttpLambdaIntegration } from "aws-cdk-lib/aws-apigatewayv2-integrations";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { ENV } from "../../functions/src/config.js";
import { grantDataAccess } from "./data-access.js";
import { type LambdaArchitectureName, lz4BinaryFor, lz4CopyCommands, lz4InstallHint } from "./lz4-binary.js";

export type LambdaEndpoint = "function-url" | "function-url-buffered" | "http-api";
export type EndpointAuth = "iam" | "token";

export interface FloeLambdaProps {
  bucket: s3.IBucket;
  table: dynamodb.ITable;
  projectRoot: string;
  architecture: LambdaArchitectureName;
  endpoint: LambdaEndpoint;
  auth: EndpointAuth;
  /** Required with auth "token": its value is the comma-separated list of accepted tokens. */
  apiTokens?: secretsmanager.ISecret;
  memoryMiB?: number;
  /** AWS_ENDPOINT_URL for the function's SDK clients (LocalStack); absent on AWS. */
  awsEndpoint?: string;
}

/** API Gateway HTTP API integrations end at 30 s at most (CDK accepts up to 29 s). */
export const HTTP_API_INTEGRATION_TIMEOUT = Duration.seconds(29);
/** The function ends before the integration, so a reply (even a timeout's) comes from Floe. */
export const HTTP_API_FUNCTION_TIMEOUT = Duration.seconds(28);
/** Lambda's maximum; SSE sessions on Lambda end after 14 min (config.ts `sseSessionMsMax`). */
export const STREAMING_FUNCTION_TIMEOUT = Duration.minutes(15);

/**
 * esbuild's ESM output has no `require`; the AWS SDK's CommonJS parts and the lz4-napi loader
 * (client/src/format/lz4.ts) need one that resolves next to the bundle.
 */
const REQUIRE_BANNER =
  "import { createRequire as __floeCreateRequire } from 'node:module'; const require = __floeCreateRequire(import.meta.url);";

export class FloeLambdaApi extends Construct {
  readonly fn: NodejsFunction;
  /** The base URL clients use. */
  readonly url: string;
  readonly httpApi: apigwv2.HttpApi | undefined;
  readonly functionUrl: lambda.FunctionUrl | undefined;

  constructor(scope: Construct, id: string, props: FloeLambdaProps) {
    super(scope, id);
    if (props.auth === "token" && props.apiTokens === undefined)
      throw new Error("auth 'token' needs the apiTokens secret");
    const streaming = props.endpoint === "function-url";
    const functionUrl = props.endpoint !== "http-api";
    const nodeModules = join(props.projectRoot, "node_modules");
    const lz4 = lz4BinaryFor(nodeModules, props.architecture);
    if (lz4.binaryPath === undefined) {
      Annotations.of(this).addWarningV2(
        "floe:lz4-native-missing",
        `no ${lz4.target} build of lz4-napi in node_modules: the ${props.architecture} function will use the pure-JS LZ4 ` +
          `fallback (same bytes, slower). To ship the native one: ${lz4InstallHint(lz4, lz4NapiVersion(nodeModules))}`,
      );
    }

    const logGroup = new logs.LogGroup(this, "Logs", {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.fn = new NodejsFunction(this, "Function", {
      description: `Floe HTTP API (${props.endpoint})`,
      entry: join(props.projectRoot, "functions/src/lambda/index.ts"),
      handler: streaming ? "streamHandler" : "handler",
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, "package-lock.json"),
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: props.architecture === "arm64" ? lambda.Architecture.ARM_64 : lambda.Architecture.X86_64,
      memorySize: props.memoryMiB ?? 1024,
      timeout: streaming ? STREAMING_FUNCTION_TIMEOUT : HTTP_API_FUNCTION_TIMEOUT,
      logGroup,
      environment: {
        [ENV.bucket]: props.bucket.bucketName,
        [ENV.table]: props.table.tableName,
        [ENV.storage]: "aws",
        [ENV.platform]: "lambda",
        ...(props.awsEndpoint !== undefined ? { [ENV.endpoint]: props.awsEndpoint } : {}),
        // A CloudFormation dynamic reference, resolved at deploy time: the token is not in the
        // template, but it is visible to whoever may read this function's configuration.
        ...(props.auth === "token" && props.apiTokens
          ? { [ENV.apiTokens]: props.apiTokens.secretValue.unsafeUnwrap() }
          : {}),
      },
      bundling: {
        format: OutputFormat.ESM,
        target: "node22",
        mainFields: ["module", "main"],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The code relies on SDK behaviour newer than some runtime-provided SDKs (checksum
        // settings); bundling pins the version that was tested.
        bundleAwsSDK: true,
        externalModules: ["lz4-napi"],
        banner: REQUIRE_BANNER,
        forceDockerBundling: false,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir, outputDir) => lz4CopyCommands(nodeModules, lz4, outputDir),
        },
      },
    });
    grantDataAccess(this.fn, props.bucket, props.table);

    if (functionUrl) {
      this.httpApi = undefined;
      this.functionUrl = this.fn.addFunctionUrl({
        authType: props.auth === "iam" ? lambda.FunctionUrlAuthType.AWS_IAM : lambda.FunctionUrlAuthType.NONE,
        invokeMode: streaming ? lambda.InvokeMode.RESPONSE_STREAM : lambda.InvokeMode.BUFFERED,
      });
      this.url = this.functionUrl.url;
    } else {
      this.functionUrl = undefined;
      this.httpApi = new apigwv2.HttpApi(this, "HttpApi", {
        description: `Floe HTTP API (${Stack.of(this).stackName})`,
        defaultIntegration: new HttpLambdaIntegration("Floe", this.fn, {
          payloadFormatVersion: apigwv2.PayloadFormatVersion.VERSION_2_0,
          timeout: HTTP_API_INTEGRATION_TIMEOUT,
        }),
        ...(props.auth === "iam" ? { defaultAuthorizer: new HttpIamAuthorizer() } : {}),
      });
      this.url = this.httpApi.apiEndpoint;
    }
  }
}

function lz4NapiVersion(nodeModules: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(nodeModules, "lz4-napi", "package.json"), "utf8")) as {
      version?: unknown;
    };
    return typeof pkg.version === "string" ? pkg.version : "latest";
  } catch {
    return "latest";
  }
}
