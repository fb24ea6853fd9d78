/**
 * The Floe stack: storage (always), compute by `compute` (Lambda, container agents, or both over
 * the same bucket and table), monitoring, and the outputs a client needs.
 */
import { CfnOutput, Stack, type StackProps } from "aws-cdk-lib";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { FloeContainerAgent } from "./container-agent.js";
import { FloeLambdaApi } from "./lambda-api.js";
import { FloeMonitoring } from "./monitoring.js";
import type { FloeSettings } from "./settings.js";
import { FloeStorage } from "./storage.js";

export interface FloeStackProps extends StackProps {
  settings: Omit<FloeSettings, "stackName">;
  /** The repository root: the Lambda entry, package-lock.json and the Docker build context. */
  projectRoot: string;
}

export class FloeStack extends Stack {
  readonly storage: FloeStorage;
  readonly lambdaApi: FloeLambdaApi | undefined;
  readonly containerAgent: FloeContainerAgent | undefined;
  readonly monitoring: FloeMonitoring;

  constructor(scope: Construct, id: string, props: FloeStackProps) {
    super(scope, id, props);
    const { settings, projectRoot } = props;
    this.storage = new FloeStorage(this, "Storage");
    const { bucket, table } = this.storage;
    const withLambda = settings.compute !== "container";
    const withContainer = settings.compute !== "lambda";

    // Bearer tokens for whatever is not behind IAM: the load balancer always, Lambda with auth=token.
    const apiTokens =
      withContainer || settings.auth === "token"
        ? new secretsmanager.Secret(this, "ApiTokens", {
            description:
              "Floe API bearer tokens (comma-separated); rotate by editing and redeploying/restarting",
            generateSecretString: { passwordLength: 48, excludePunctuation: true },
          })
        : undefined;

    this.lambdaApi = withLambda
      ? new FloeLambdaApi(this, "Lambda", {
          bucket,
          table,
          projectRoot,
          architecture: settings.architecture,
          endpoint: settings.lambdaEndpoint,
          auth: settings.auth,
          ...(apiTokens ? { apiTokens } : {}),
          ...(settings.lambdaMemoryMiB !== undefined ? { memoryMiB: settings.lambdaMemoryMiB } : {}),
          ...(settings.awsEndpoint !== undefined ? { awsEndpoint: settings.awsEndpoint } : {}),
        })
      : undefined;
    this.containerAgent =
      withContainer && apiTokens
        ? new FloeContainerAgent(this, "Agent", {
            bucket,
            table,
            projectRoot,
            architecture: settings.architecture,
            apiTokens,
            ...(settings.image !== undefined ? { image: settings.image } : {}),
            ...(settings.certificateArn !== undefined ? { certificateArn: settings.certificateArn } : {}),
            ...(settings.minTasks !== undefined ? { minTasks: settings.minTasks } : {}),
            ...(settings.maxTasks !== undefined ? { maxTasks: settings.maxTasks } : {}),
          })
        : undefined;

    this.monitoring = new FloeMonitoring(this, "Monitoring", {
      table,
      ...(this.lambdaApi
        ? {
            lambda: {
              fn: this.lambdaApi.fn,
              ...(this.lambdaApi.httpApi ? { httpApi: this.lambdaApi.httpApi } : {}),
            },
          }
        : {}),
      ...(this.containerAgent ? { container: { service: this.containerAgent.service } } : {}),
      ...(settings.alarmEmail !== undefined ? { alarmEmail: settings.alarmEmail } : {}),
    });

    const primary = this.lambdaApi?.url ?? this.containerAgent?.url;
    if (primary === undefined) throw new Error("no compute selected");
    new CfnOutput(this, "EndpointUrl", { value: primary, description: "Floe HTTP API base URL" });
    if (this.lambdaApi)
      new CfnOutput(this, "LambdaEndpointUrl", {
        value: this.lambdaApi.url,
        description: `Lambda (${settings.lambdaEndpoint}, auth ${settings.auth})`,
      });
    if (this.containerAgent)
      new CfnOutput(this, "ContainerEndpointUrl", {
        value: this.containerAgent.url,
        description: "Container agents behind the load balancer",
      });
    new CfnOutput(this, "BucketName", { value: bucket.bucketName, description: "Segment objects" });
    new CfnOutput(this, "TableName", { value: table.tableName, description: "Manifest" });
    if (apiTokens)
      new CfnOutput(this, "ApiTokensSecretArn", {
        value: apiTokens.secretArn,
        description: "Bearer tokens (Secrets Manager)",
      });
    new CfnOutput(this, "AlarmTopicArn", { value: this.monitoring.alarmTopic.topicArn });
    new CfnOutput(this, "DashboardName", { value: this.monitoring.dashboard.dashboardName });
  }
}
