/**
 * Compute chosen by `compute` (and the Lambda endpoint and auth choices): what each mode creates,
 * how it is wired to the same storage, and the outputs a client needs.
 */
import { Match } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ENV } from "../../functions/src/config.js";
import { type Json, onlyLogicalId, propertiesOf, resourcesOf, type Synthesised, synth } from "./synth.js";

const variants: Record<string, Synthesised> = {};
const stack = (name: string): Synthesised => variants[name] ?? (undefined as never);

beforeAll(() => {
  variants.lambda = synth({ compute: "lambda" });
  variants.httpApi = synth({ compute: "lambda", lambdaEndpoint: "http-api", architecture: "x86_64" });
  variants.token = synth({ compute: "lambda", auth: "token" });
  variants.local = synth({
    compute: "lambda",
    lambdaEndpoint: "function-url-buffered",
    awsEndpoint: "http://localhost.localstack.cloud:4566",
  });
  variants.container = synth({ compute: "container" });
  variants.registry = synth({
    compute: "container",
    image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/floe:1.2.3",
    architecture: "x86_64",
  });
  variants.both = synth({ compute: "both", lambdaEndpoint: "http-api" });
});
afterAll(() => {
  for (const v of Object.values(variants)) v.dispose();
});

function outputs(s: Synthesised): Record<string, Json> {
  return s.template.findOutputs("*") as Record<string, Json>;
}

function lambdaFunction(s: Synthesised): Json {
  const [only, ...others] = resourcesOf(s.template, "AWS::Lambda::Function");
  expect(others).toHaveLength(0);
  return propertiesOf(only![1]);
}

describe("compute: lambda (default: arm64, streaming Function URL, IAM auth)", () => {
  it("creates one Node.js 22 arm64 function with Lambda's configuration and a RESPONSE_STREAM Function URL under IAM", () => {
    // Prepare
    const s = stack("lambda");
    const bucketId = onlyLogicalId(s.template, "AWS::S3::Bucket");
    const tableId = onlyLogicalId(s.template, "AWS::DynamoDB::Table");

    // Act
    const fn = lambdaFunction(s);

    // Assess
    expect(fn).toMatchObject({
      Runtime: "nodejs22.x",
      Architectures: ["arm64"],
      Handler: "index.streamHandler",
      Timeout: 900,
      Environment: {
        Variables: {
          [ENV.bucket]: { Ref: bucketId },
          [ENV.table]: { Ref: tableId },
          [ENV.storage]: "aws",
          [ENV.platform]: "lambda",
        },
      },
    });
    expect(Object.keys((fn.Environment as { Variables: Json }).Variables)).not.toContain(ENV.apiTokens);
    s.template.hasResourceProperties("AWS::Lambda::Url", {
      AuthType: "AWS_IAM",
      InvokeMode: "RESPONSE_STREAM",
    });
    s.template.resourceCountIs("AWS::ApiGatewayV2::Api", 0);
    s.template.resourceCountIs("AWS::ECS::Service", 0);
    s.template.resourceCountIs("AWS::SecretsManager::Secret", 0);
    s.template.resourceCountIs("AWS::EC2::VPC", 0);
  });

  it("outputs the Function URL as the endpoint, with the bucket and the table", () => {
    // Prepare
    const s = stack("lambda");
    const urlId = onlyLogicalId(s.template, "AWS::Lambda::Url");

    // Act
    const out = outputs(s);

    // Assess
    expect(out.EndpointUrl?.Value).toEqual({ "Fn::GetAtt": [urlId, "FunctionUrl"] });
    expect(out.BucketName?.Value).toEqual({ Ref: onlyLogicalId(s.template, "AWS::S3::Bucket") });
    expect(out.TableName?.Value).toEqual({ Ref: onlyLogicalId(s.template, "AWS::DynamoDB::Table") });
    expect(out.ContainerEndpointUrl).toBeUndefined();
  });
});

describe("lambda behind an HTTP API", () => {
  it("uses the buffered handler, payload v2, a 29 s integration the function ends before, and the IAM authorizer", () => {
    // Prepare
    const s = stack("httpApi");

    // Act
    const fn = lambdaFunction(s);

    // Assess
    expect(fn).toMatchObject({ Handler: "index.handler", Timeout: 28, Architectures: ["x86_64"] });
    s.template.hasResourceProperties("AWS::ApiGatewayV2::Api", { ProtocolType: "HTTP" });
    s.template.hasResourceProperties("AWS::ApiGatewayV2::Integration", {
      IntegrationType: "AWS_PROXY",
      PayloadFormatVersion: "2.0",
      TimeoutInMillis: 29_000,
    });
    s.template.hasResourceProperties("AWS::ApiGatewayV2::Route", {
      RouteKey: "$default",
      AuthorizationType: "AWS_IAM",
    });
    s.template.resourceCountIs("AWS::Lambda::Url", 0);
  });
});

describe("lambda for LocalStack (buffered Function URL, explicit endpoint)", () => {
  it("serves the buffered handler through a BUFFERED Function URL and points the SDK at the given endpoint", () => {
    // Prepare
    const s = stack("local");

    // Act
    const fn = lambdaFunction(s);

    // Assess
    expect(fn).toMatchObject({ Handler: "index.handler", Timeout: 28 });
    expect((fn.Environment as { Variables: Json }).Variables[ENV.endpoint]).toBe(
      "http://localhost.localstack.cloud:4566",
    );
    s.template.hasResourceProperties("AWS::Lambda::Url", { AuthType: "AWS_IAM", InvokeMode: "BUFFERED" });
    expect(
      (lambdaFunction(stack("lambda")).Environment as { Variables: Json }).Variables[ENV.endpoint],
    ).toBeUndefined();
  });
});

describe("lambda with bearer tokens", () => {
  it("opens the Function URL and hands the function a generated token through a secret reference, not a literal", () => {
    // Prepare
    const s = stack("token");
    const secretId = onlyLogicalId(s.template, "AWS::SecretsManager::Secret");

    // Act
    const variables = (lambdaFunction(s).Environment as { Variables: Json }).Variables;

    // Assess
    s.template.hasResourceProperties("AWS::Lambda::Url", { AuthType: "NONE" });
    expect(JSON.stringify(variables[ENV.apiTokens])).toContain("{{resolve:secretsmanager:");
    expect(JSON.stringify(variables[ENV.apiTokens])).toContain(secretId);
    expect(outputs(s).ApiTokensSecretArn?.Value).toEqual({ Ref: secretId });
  });
});

describe("compute: container", () => {
  it("runs the agent on arm64 Fargate behind a public ALB, with container limits, its token secret and /healthz checks", () => {
    // Prepare
    const s = stack("container");
    const secretId = onlyLogicalId(s.template, "AWS::SecretsManager::Secret");

    // Act
    const [[, taskDefinition]] = resourcesOf(s.template, "AWS::ECS::TaskDefinition") as [[string, Json]];
    const container = (propertiesOf(taskDefinition).ContainerDefinitions as Json[])[0]!;
    const environment = Object.fromEntries(
      (container.Environment as Array<{ Name: string; Value: unknown }>).map((e) => [e.Name, e.Value]),
    );

    // Assess
    s.template.resourceCountIs("AWS::Lambda::Function", 0);
    s.template.hasResourceProperties("AWS::ECS::Service", { LaunchType: "FARGATE" });
    expect(propertiesOf(taskDefinition)).toMatchObject({
      RequiresCompatibilities: ["FARGATE"],
      RuntimePlatform: { CpuArchitecture: "ARM64", OperatingSystemFamily: "LINUX" },
    });
    expect(environment).toMatchObject({
      [ENV.storage]: "aws",
      [ENV.platform]: "container",
      [ENV.host]: "0.0.0.0",
      [ENV.port]: "8080",
    });
    expect(container.Secrets).toEqual([{ Name: ENV.apiTokens, ValueFrom: { Ref: secretId } }]);
    expect(JSON.stringify(container.Image)).toContain("container-assets");
    s.template.hasResourceProperties("AWS::ElasticLoadBalancingV2::LoadBalancer", {
      Scheme: "internet-facing",
      LoadBalancerAttributes: Match.arrayWith([{ Key: "idle_timeout.timeout_seconds", Value: "75" }]),
    });
    s.template.hasResourceProperties("AWS::ElasticLoadBalancingV2::TargetGroup", {
      HealthCheckPath: "/healthz",
    });
    s.template.hasResourceProperties("AWS::ECS::Service", {
      LoadBalancers: [Match.objectLike({ ContainerPort: 8080 })],
    });
    s.template.resourceCountIs("AWS::EC2::VPCEndpoint", 2);
  });

  it("scales on CPU between 2 and 10 tasks", () => {
    // Prepare
    const s = stack("container");

    // Act / Assess
    s.template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalableTarget", {
      MinCapacity: 2,
      MaxCapacity: 10,
      ScalableDimension: "ecs:service:DesiredCount",
    });
    s.template.hasResourceProperties("AWS::ApplicationAutoScaling::ScalingPolicy", {
      PolicyType: "TargetTrackingScaling",
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" },
        TargetValue: 60,
      }),
    });
  });

  it("runs a pushed image when given one, on x86_64", () => {
    // Prepare
    const s = stack("registry");

    // Act
    const [[, taskDefinition]] = resourcesOf(s.template, "AWS::ECS::TaskDefinition") as [[string, Json]];
    const container = (propertiesOf(taskDefinition).ContainerDefinitions as Json[])[0]!;

    // Assess
    expect(container.Image).toBe("123456789012.dkr.ecr.us-east-1.amazonaws.com/floe:1.2.3");
    expect(propertiesOf(taskDefinition).RuntimePlatform).toMatchObject({ CpuArchitecture: "X86_64" });
  });

  it("outputs the load balancer's URL as the endpoint", () => {
    // Prepare
    const s = stack("container");
    const lbId = onlyLogicalId(s.template, "AWS::ElasticLoadBalancingV2::LoadBalancer");

    // Act
    const out = outputs(s);

    // Assess
    expect(JSON.stringify(out.EndpointUrl?.Value)).toContain(lbId);
    expect(JSON.stringify(out.EndpointUrl?.Value)).toContain("http://");
    expect(out.LambdaEndpointUrl).toBeUndefined();
  });
});

describe("compute: both", () => {
  it("serves the same bucket and table from the function and the agents, with an endpoint output for each", () => {
    // Prepare
    const s = stack("both");
    const bucketId = onlyLogicalId(s.template, "AWS::S3::Bucket");
    const tableId = onlyLogicalId(s.template, "AWS::DynamoDB::Table");

    // Act
    const fnVariables = (lambdaFunction(s).Environment as { Variables: Json }).Variables;
    const [[, taskDefinition]] = resourcesOf(s.template, "AWS::ECS::TaskDefinition") as [[string, Json]];
    const container = (propertiesOf(taskDefinition).ContainerDefinitions as Json[])[0]!;
    const environment = Object.fromEntries(
      (container.Environment as Array<{ Name: string; Value: unknown }>).map((e) => [e.Name, e.Value]),
    );
    const out = outputs(s);

    // Assess
    expect([fnVariables[ENV.bucket], environment[ENV.bucket]]).toEqual([
      { Ref: bucketId },
      { Ref: bucketId },
    ]);
    expect([fnVariables[ENV.table], environment[ENV.table]]).toEqual([{ Ref: tableId }, { Ref: tableId }]);
    expect(Object.keys(out)).toEqual(
      expect.arrayContaining([
        "EndpointUrl",
        "LambdaEndpointUrl",
        "ContainerEndpointUrl",
        "BucketName",
        "TableName",
      ]),
    );
    expect(out.EndpointUrl?.Value).toEqual(out.LambdaEndpointUrl?.Value);
    s.template.resourceCountIs("AWS::S3::Bucket", 1);
    s.template.resourceCountIs("AWS::DynamoDB::Table", 1);
  });
});
