/** Context parsing: defaults, accepted values, and a clear failure for anything else. */
import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, readSettings } from "../../infra/lib/settings.js";

const from = (context: Record<string, unknown>) => (key: string) => context[key];

describe("readSettings", () => {
  it("defaults to arm64 Lambda behind a streaming Function URL with IAM auth", () => {
    // Prepare / Act
    const settings = readSettings(from({}));

    // Assess
    expect(settings).toEqual({ ...DEFAULT_SETTINGS });
    expect(settings).toMatchObject({
      compute: "lambda",
      architecture: "arm64",
      lambdaEndpoint: "function-url",
      auth: "iam",
    });
  });

  it("reads -c strings and cdk.json numbers alike", () => {
    // Prepare
    const context = {
      compute: "both",
      architecture: "x86_64",
      minTasks: "3",
      maxTasks: 12,
      image: "repo/floe:1",
      alarmEmail: "a@b.c",
    };

    // Act
    const settings = readSettings(from(context));

    // Assess
    expect(settings).toMatchObject({
      compute: "both",
      architecture: "x86_64",
      minTasks: 3,
      maxTasks: 12,
      image: "repo/floe:1",
      alarmEmail: "a@b.c",
    });
  });

  it.each([
    [{ compute: "fargate" }, /compute must be one of lambda, container, both/],
    [{ architecture: "arm" }, /architecture must be one of arm64, x86_64/],
    [
      { lambdaEndpoint: "rest" },
      /lambdaEndpoint must be one of function-url, function-url-buffered, http-api/,
    ],
    [{ awsEndpoint: "localhost:4566" }, /awsEndpoint must be an http\(s\) URL/],
    [{ auth: "none" }, /auth must be one of iam, token/],
    [{ minTasks: "0" }, /minTasks must be an integer from 1/],
    [{ minTasks: "4", maxTasks: "2" }, /maxTasks \(2\) must be at least minTasks \(4\)/],
    [{ lambdaMemoryMiB: "1.5" }, /lambdaMemoryMiB must be an integer/],
  ])("rejects %j", (context, message) => {
    // Prepare / Act
    const read = () => readSettings(from(context));

    // Assess
    expect(read).toThrow(message);
  });
});
