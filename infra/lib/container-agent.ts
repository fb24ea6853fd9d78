/**
 * Floe as a long-running agent: the container agent (functions/src/agent/main.ts) on ECS Fargate
 * behind an Application Load Balancer, scaling on CPU. Agents batch produces across requests
 * (linger 100 ms / 8 MiB segments) and keep hot tails and range caches, so they are the cheaper
 * and faster choice under steady traffic; several agents may append to the same partition (the
 * manifest's conditional writes order them).
 *
 * Image: built from infra/container/Dockerfile by `cdk deploy` (a Docker image asset: `cdk synth`
 * only stages the build context and never runs Docker), or an image you built and pushed
 * yourself (`-c image=<uri>`), which makes deploy Docker-free as well.
 *
 * Network: a VPC with public subnets only and no NAT gateway (about $32/month each saved); tasks
 * get public IPs but accept traffic only from the load balancer, and reach S3 and DynamoDB
 * through free gateway endpoints.
 */
import { join } from "node:path";
import { Duration, IgnoreMode, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as certificatemanager from "aws-cdk-lib/aws-certificatemanager";
import type * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as ec2 from "aws-cdk-lib/aws-ec2";
import { Platform } from "aws-cdk-lib/aws-ecr-assets";
import * as ecs from "aws-cdk-lib/aws-ecs";
import * as ecsPatterns from "aws-cdk-lib/aws-ecs-patterns";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { ENV } from "../../functions/src/config.js";
import { grantDataAccess } from "./data-access.js";
import type { LambdaArchitectureName } from "./lz4-binary.js";

export interface FloeContainerProps {
  bucket: s3.IBucket;
  table: dynamodb.ITable;
  projectRoot: string;
  architecture: LambdaArchitectureName;
  /** The agent requires `Authorization: Bearer` with one of these (a load balancer has no IAM auth). */
  apiTokens: secretsmanager.ISecret;
  /** A pushed image to run instead of building infra/container/Dockerfile. */
  image?: string;
  /** An ACM certificate for HTTPS on 443 (HTTP is then redirected); without it, plain HTTP on 80. */
  certificateArn?: string;
  cpu?: number;
  memoryMiB?: number;
  minTasks?: number;
  maxTasks?: number;
  targetCpuPercent?: number;
}

export const AGENT_PORT = 8080;

/**
 * The Docker build context is the repository root, but only what the image needs is staged into
 * cdk.out (and hashed): tests, docs and node_modules never trigger a rebuild.
 */
export const IMAGE_CONTEXT_INCLUDE = [
  "package.json",
  "package-lock.json",
  "tsconfig.json",
  "client",
  "functions",
  "console",
  "infra/container",
] as const;

export class FloeContainerAgent extends Construct {
  readonly service: ecsPatterns.ApplicationLoadBalancedFargateService;
  readonly url: string;

  constructor(scope: Construct, id: string, props: FloeContainerProps) {
    super(scope, id);
    const arm = props.architecture === "arm64";
    const image =
      props.image !== undefined
        ? ecs.ContainerImage.fromRegistry(props.image)
        : ecs.ContainerImage.fromAsset(props.projectRoot, {
            file: join("infra", "container", "Dockerfile"),
            platform: arm ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
            ignoreMode: IgnoreMode.DOCKER,
            exclude: ["*", ...IMAGE_CONTEXT_INCLUDE.map((path) => `!${path}`)],
          });

    const vpc = new ec2.Vpc(this, "Vpc", {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: "public", subnetType: ec2.SubnetType.PUBLIC }],
      gatewayEndpoints: {
        S3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        DynamoDB: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    const logGroup = new logs.LogGroup(this, "Logs", {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const certificate =
      props.certificateArn !== undefined
        ? certificatemanager.Certificate.fromCertificateArn(this, "Certificate", props.certificateArn)
        : undefined;

    this.service = new ecsPatterns.ApplicationLoadBalancedFargateService(this, "Service", {
      vpc,
      cpu: props.cpu ?? 1024,
      memoryLimitMiB: props.memoryMiB ?? 2048,
      desiredCount: props.minTasks ?? 2,
      runtimePlatform: {
        cpuArchitecture: arm ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
      },
      publicLoadBalancer: true,
      assignPublicIp: true,
      taskSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      taskImageOptions: {
        image,
        containerPort: AGENT_PORT,
        environment: {
          [ENV.storage]: "aws",
          [ENV.platform]: "container",
          [ENV.host]: "0.0.0.0",
          [ENV.port]: String(AGENT_PORT),
          [ENV.bucket]: props.bucket.bucketName,
          [ENV.table]: props.table.tableName,
          [ENV.region]: Stack.of(this).region,
        },
        secrets: { [ENV.apiTokens]: ecs.Secret.fromSecretsManager(props.apiTokens) },
        logDriver: ecs.LogDrivers.awsLogs({ streamPrefix: "floe", logGroup }),
      },
      // Long-polls wait up to 60 s without a byte on the wire; SSE pings every 15 s.
      idleTimeout: Duration.seconds(75),
      circuitBreaker: { rollback: true },
      minHealthyPercent: 100,
      ...(certificate
        ? { certificate, protocol: elbv2.ApplicationProtocol.HTTPS, redirectHTTP: true }
        : { protocol: elbv2.ApplicationProtocol.HTTP }),
    });
    this.service.targetGroup.configureHealthCheck({
      path: "/healthz",
      healthyHttpCodes: "200",
      interval: Duration.seconds(15),
    });
    // On SIGTERM the agent stops taking requests, flushes what it accepted and answers it: 30 s covers
    // a commit timeout (10 s) several times over.
    this.service.targetGroup.setAttribute("deregistration_delay.timeout_seconds", "30");

    const scaling = this.service.service.autoScaleTaskCount({
      minCapacity: props.minTasks ?? 2,
      maxCapacity: props.maxTasks ?? 10,
    });
    scaling.scaleOnCpuUtilization("Cpu", {
      targetUtilizationPercent: props.targetCpuPercent ?? 60,
      scaleOutCooldown: Duration.seconds(60),
      scaleInCooldown: Duration.seconds(300),
    });

    grantDataAccess(this.service.taskDefinition.taskRole, props.bucket, props.table);
    const scheme = certificate ? "https" : "http";
    this.url = `${scheme}://${this.service.loadBalancer.loadBalancerDnsName}`;
  }
}
