/**
 * The operator's view: one CloudWatch dashboard and alarms on errors, throttles and produce
 * latency, all notifying one SNS topic (subscribe an e-mail with `-c alarmEmail=...`).
 *
 * Produce latency and Floe's own 5xx come from the Lambda handler's Embedded Metric Format lines
 * (functions/src/lambda/metrics.ts): Lambda's Duration mixes produces with 20 s long-polls, and a
 * Floe 500 is a successful invocation to Lambda. All alarms treat missing data as fine: no
 * traffic is not an incident.
 */
import { Duration } from "aws-cdk-lib";
import type * as apigwv2 from "aws-cdk-lib/aws-apigatewayv2";
import * as cloudwatch from "aws-cdk-lib/aws-cloudwatch";
import * as actions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as ecsPatterns from "aws-cdk-lib/aws-ecs-patterns";
import * as elbv2 from "aws-cdk-lib/aws-elasticloadbalancingv2";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sns from "aws-cdk-lib/aws-sns";
import * as subscriptions from "aws-cdk-lib/aws-sns-subscriptions";
import { Construct } from "constructs";
import {
  METRIC_DIMENSION,
  METRIC_PRODUCE_LATENCY,
  METRIC_SERVER_ERRORS,
  METRICS_NAMESPACE,
} from "../../functions/src/lambda/metrics.js";

export interface FloeMonitoringProps {
  table: dynamodb.ITable;
  lambda?: { fn: lambda.IFunction; httpApi?: apigwv2.HttpApi };
  container?: { service: ecsPatterns.ApplicationLoadBalancedFargateService };
  alarmEmail?: string;
  /** p99 produce latency that pages (default 1000 ms: a produce is one PUT and two DynamoDB writes). */
  produceLatencyP99Ms?: number;
}

/** The table operations the code performs (data-access.ts), for per-operation throttle and error metrics. */
const TABLE_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.PUT_ITEM,
  dynamodb.Operation.DELETE_ITEM,
  dynamodb.Operation.QUERY,
];

export class FloeMonitoring extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarmTopic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: FloeMonitoringProps) {
    super(scope, id);
    this.alarmTopic = new sns.Topic(this, "Alarms", { displayName: "Floe alarms" });
    if (props.alarmEmail)
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    this.dashboard = new cloudwatch.Dashboard(this, "Dashboard", { defaultInterval: Duration.hours(3) });

    const minute = Duration.minutes(1);
    const tableThrottles = props.table.metricThrottledRequestsForOperations({
      operations: TABLE_OPERATIONS,
      period: minute,
    });
    const tableErrors = props.table.metricSystemErrorsForOperations({
      operations: TABLE_OPERATIONS,
      period: minute,
    });
    this.alarm(
      "ManifestThrottles",
      tableThrottles,
      1,
      "DynamoDB throttled manifest requests (on-demand table over its limits)",
    );
    this.alarm("ManifestSystemErrors", tableErrors, 1, "DynamoDB returned 5xx for manifest requests");

    if (props.lambda)
      this.lambdaPanel(props.lambda.fn, props.lambda.httpApi, props.produceLatencyP99Ms ?? 1000);
    if (props.container) this.containerPanel(props.container.service);

    this.dashboard.addWidgets(
      // One math expression per graph: both name their per-operation series after the operation.
      new cloudwatch.GraphWidget({ title: "Manifest throttled requests", left: [tableThrottles], width: 8 }),
      new cloudwatch.GraphWidget({ title: "Manifest system errors", left: [tableErrors], width: 8 }),
      new cloudwatch.GraphWidget({
        title: "Manifest write / read units",
        left: [
          props.table.metricConsumedWriteCapacityUnits({ period: minute }),
          props.table.metricConsumedReadCapacityUnits({ period: minute }),
        ],
        width: 8,
      }),
      new cloudwatch.AlarmStatusWidget({ title: "Alarms", alarms: this.alarms, width: 24 }),
    );
  }

  private lambdaPanel(
    fn: lambda.IFunction,
    httpApi: apigwv2.HttpApi | undefined,
    produceLatencyP99Ms: number,
  ): void {
    const minute = Duration.minutes(1);
    const dimensionsMap = { [METRIC_DIMENSION]: fn.functionName };
    const produceP99 = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: METRIC_PRODUCE_LATENCY,
      dimensionsMap,
      statistic: "p99",
      period: minute,
      unit: cloudwatch.Unit.MILLISECONDS,
    });
    const produceP50 = produceP99.with({ statistic: "p50" });
    const serverErrors = new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: METRIC_SERVER_ERRORS,
      dimensionsMap,
      statistic: "Sum",
      period: minute,
    });
    const errors = fn.metricErrors({ period: minute, statistic: "Sum" });
    const throttles = fn.metricThrottles({ period: minute, statistic: "Sum" });

    this.alarm("LambdaErrors", errors, 1, "Lambda invocations failed (crash, timeout, out of memory)");
    this.alarm(
      "LambdaThrottles",
      throttles,
      1,
      "Lambda throttled invocations (account or reserved concurrency reached)",
    );
    this.alarm(
      "ServerErrors",
      serverErrors,
      5,
      "Floe answered 5xx (storage unavailable, misconfiguration, internal errors)",
    );
    this.alarm(
      "ProduceLatencyP99",
      produceP99,
      produceLatencyP99Ms,
      `p99 produce latency above ${produceLatencyP99Ms} ms`,
      5,
      3,
    );
    const apiWidgets: cloudwatch.IMetric[] = [];
    if (httpApi) {
      const api5xx = httpApi.metricServerError({ period: minute, statistic: "Sum" });
      this.alarm(
        "HttpApi5xx",
        api5xx,
        5,
        "API Gateway answered 5xx (integration failures and timeouts included)",
      );
      apiWidgets.push(api5xx, httpApi.metricClientError({ period: minute, statistic: "Sum" }));
    }

    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Produce latency (ms)",
        left: [produceP50, produceP99],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "Lambda invocations, errors, throttles, Floe 5xx",
        left: [fn.metricInvocations({ period: minute }), errors, throttles, serverErrors, ...apiWidgets],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "Lambda duration and concurrency",
        left: [fn.metricDuration({ period: minute, statistic: "p99" })],
        right: [fn.metric("ConcurrentExecutions", { period: minute, statistic: "Maximum" })],
        width: 24,
      }),
    );
  }

  private containerPanel(service: ecsPatterns.ApplicationLoadBalancedFargateService): void {
    const minute = Duration.minutes(1);
    const lb = service.loadBalancer.metrics;
    const target5xx = lb.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, {
      period: minute,
      statistic: "Sum",
    });
    const elb5xx = lb.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: minute, statistic: "Sum" });
    const unhealthy = service.targetGroup.metrics.unhealthyHostCount({
      period: minute,
      statistic: "Maximum",
    });
    const cpu = service.service.metricCpuUtilization({ period: minute });
    this.alarm("AgentServerErrors", target5xx, 5, "Floe agents answered 5xx");
    this.alarm(
      "LoadBalancer5xx",
      elb5xx,
      5,
      "The load balancer answered 5xx (no healthy agent, agent timeouts)",
    );
    this.alarm("AgentsUnhealthy", unhealthy, 1, "An agent fails its /healthz check", 3, 3);
    // Autoscaling targets 60 %: staying near saturation means it has hit maxTasks.
    this.alarm("AgentCpuSaturated", cpu, 85, "Agent CPU above 85 % (autoscaling at its maximum?)", 15, 15);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: "Load balancer requests and 5xx",
        left: [lb.requestCount({ period: minute, statistic: "Sum" }), target5xx, elb5xx],
        width: 12,
      }),
      new cloudwatch.GraphWidget({
        title: "Agent CPU, memory, target response time",
        left: [cpu, service.service.metricMemoryUtilization({ period: minute })],
        right: [lb.targetResponseTime({ period: minute, statistic: "p99" })],
        width: 12,
      }),
    );
  }

  private alarm(
    id: string,
    metric: cloudwatch.IMetric,
    threshold: number,
    description: string,
    evaluationPeriods = 5,
    datapointsToAlarm = 2,
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold,
      evaluationPeriods,
      datapointsToAlarm,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    alarm.addOkAction(new actions.SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
  }
}
