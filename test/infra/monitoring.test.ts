/**
 * Alarms on errors, throttles and produce latency, all routed to the alarm topic, and the
 * dashboard. The produce-latency alarm must watch exactly the metric the Lambda handler emits.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  METRIC_DIMENSION,
  METRIC_PRODUCE_LATENCY,
  METRIC_SERVER_ERRORS,
  METRICS_NAMESPACE,
} from "../../functions/src/lambda/metrics.js";
import { type Json, onlyLogicalId, propertiesOf, resourcesOf, type Synthesised, synth } from "./synth.js";

let both: Synthesised;
let lambdaOnly: Synthesised;

beforeAll(() => {
  both = synth({ compute: "both", lambdaEndpoint: "http-api", alarmEmail: "oncall@example.com" });
  lambdaOnly = synth({ compute: "lambda" });
});
afterAll(() => {
  both.dispose();
  lambdaOnly.dispose();
});

function alarms(s: Synthesised): Json[] {
  return resourcesOf(s.template, "AWS::CloudWatch::Alarm").map(([, r]) => propertiesOf(r));
}

/** The metric names an alarm watches, directly or inside its math expression. */
function watched(alarm: Json): string[] {
  if (typeof alarm.MetricName === "string") return [alarm.MetricName];
  const metrics = (alarm.Metrics ?? []) as Array<{ MetricStat?: { Metric?: { MetricName?: string } } }>;
  return metrics.flatMap((m) => (m.MetricStat?.Metric?.MetricName ? [m.MetricStat.Metric.MetricName] : []));
}

describe("alarms", () => {
  it("cover Lambda errors and throttles, Floe 5xx, API 5xx, DynamoDB throttles and errors, and the agents' health", () => {
    // Prepare / Act
    const names = alarms(both).flatMap(watched);

    // Assess
    expect(names).toEqual(
      expect.arrayContaining([
        "Errors",
        "Throttles",
        METRIC_SERVER_ERRORS,
        METRIC_PRODUCE_LATENCY,
        "5xx",
        "ThrottledRequests",
        "SystemErrors",
        "HTTPCode_Target_5XX_Count",
        "HTTPCode_ELB_5XX_Count",
        "UnHealthyHostCount",
        "CPUUtilization",
      ]),
    );
  });

  it("watch produce latency at p99 on the handler's EMF metric for this function", () => {
    // Prepare
    const fnId = onlyLogicalId(lambdaOnly.template, "AWS::Lambda::Function");

    // Act
    const latency = alarms(lambdaOnly).filter((a) => a.MetricName === METRIC_PRODUCE_LATENCY);

    // Assess
    expect(latency).toHaveLength(1);
    expect(latency[0]).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      ExtendedStatistic: "p99",
      Threshold: 1000,
      Dimensions: [{ Name: METRIC_DIMENSION, Value: { Ref: fnId } }],
      TreatMissingData: "notBreaching",
    });
  });

  it("all notify the alarm topic, which mails the configured address", () => {
    // Prepare
    const topicId = onlyLogicalId(both.template, "AWS::SNS::Topic");

    // Act
    const all = alarms(both);

    // Assess
    expect(all.length).toBeGreaterThanOrEqual(10);
    for (const alarm of all) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
    }
    both.template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "oncall@example.com",
    });
  });

  it("has no container alarms without containers", () => {
    // Prepare / Act
    const names = alarms(lambdaOnly).flatMap(watched);

    // Assess
    expect(names).not.toContain("UnHealthyHostCount");
    expect(names).not.toContain("HTTPCode_Target_5XX_Count");
  });
});

describe("dashboard", () => {
  it("graphs produce latency, Lambda, DynamoDB and the load balancer", () => {
    // Prepare
    const [[, dashboard]] = resourcesOf(both.template, "AWS::CloudWatch::Dashboard") as [[string, Json]];

    // Act
    const body = JSON.stringify(propertiesOf(dashboard).DashboardBody);

    // Assess
    for (const title of [
      "Produce latency (ms)",
      "Lambda invocations",
      "Manifest throttled requests",
      "Load balancer requests and 5xx",
    ]) {
      expect(body).toContain(title);
    }
  });
});
