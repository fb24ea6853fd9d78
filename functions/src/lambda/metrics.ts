/**
 * Request metrics for the Lambda entry points, written as CloudWatch Embedded Metric Format (EMF)
 * lines on stdout: Lambda ships stdout to CloudWatch Logs with the EMF header, so these become
 * metrics with no SDK call, no extra latency and no extra IAM permission. The CDK stack alarms on
 * them (infra/lib/monitoring.ts), under the same namespace and names as exported here.
 *
 * Why not the platform's own metrics: Lambda's Duration and API Gateway's Latency mix produces
 * with long-polls that legitimately last up to 20 s, and a Floe 500 is a *successful* invocation
 * to Lambda (Errors stays 0), so neither can tell a slow or failing produce path.
 */

export const METRICS_NAMESPACE = "Floe";
export const METRIC_PRODUCE_LATENCY = "ProduceLatency";
export const METRIC_SERVER_ERRORS = "ServerErrors";
/** The dimension every metric carries; the stack fills it with the function's name. */
export const METRIC_DIMENSION = "FunctionName";

export type LineWriter = (line: string) => void;

/** POST /v1/topics/{topic}/records and POST /v1/topics/{topic}/partitions/{p}/records (api.md § Produce). */
const PRODUCE_PATH = /^\/v1\/topics\/[^/]+(?:\/partitions\/[^/]+)?\/records\/?$/;

export function isProduce(method: string, path: string): boolean {
  return method === "POST" && PRODUCE_PATH.test(path);
}

export class RequestMetrics {
  constructor(
    private readonly functionName: string,
    private readonly write: LineWriter,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records one answered request; emits nothing for requests that are neither produces nor 5xx. */
  record(method: string, path: string, status: number, elapsedMs: number): void {
    const metrics: Array<{ Name: string; Unit: string }> = [];
    const values: Record<string, number> = {};
    if (isProduce(method, path)) {
      metrics.push({ Name: METRIC_PRODUCE_LATENCY, Unit: "Milliseconds" });
      values[METRIC_PRODUCE_LATENCY] = Math.round(elapsedMs * 1000) / 1000;
    }
    if (status >= 500) {
      metrics.push({ Name: METRIC_SERVER_ERRORS, Unit: "Count" });
      values[METRIC_SERVER_ERRORS] = 1;
    }
    if (metrics.length === 0) return;
    this.write(
      JSON.stringify({
        _aws: {
          Timestamp: this.now(),
          CloudWatchMetrics: [
            { Namespace: METRICS_NAMESPACE, Dimensions: [[METRIC_DIMENSION]], Metrics: metrics },
          ],
        },
        [METRIC_DIMENSION]: this.functionName,
        status,
        ...values,
      }),
    );
  }
}
