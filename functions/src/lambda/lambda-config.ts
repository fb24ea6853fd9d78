/**
 * Configuration for the Lambda entry points: the same variables as every other entry point
 * (functions/src/config.ts), parsed with Lambda's defaults and limits. On Lambda the storage is
 * always the configured bucket and table and the limits are always Lambda's (4 MiB produce,
 * `wait` ≤ 20 s), so a stray FLOE_STORAGE=embedded or FLOE_PLATFORM=container is refused instead
 * of silently raising limits past what the platform can carry.
 */
import { type AgentConfig, ConfigError, ENV, loadConfig } from "../config.js";

export type Environment = Readonly<Record<string, string | undefined>>;

export function loadLambdaConfig(env: Environment): AgentConfig {
  const storage = env[ENV.storage];
  if (storage !== undefined && storage !== "" && storage !== "aws") {
    throw new ConfigError(
      `${ENV.storage} must be "aws" (or unset) on Lambda, got ${JSON.stringify(storage)}`,
    );
  }
  const platform = env[ENV.platform];
  if (platform !== undefined && platform !== "" && platform !== "lambda") {
    throw new ConfigError(
      `${ENV.platform} must be "lambda" (or unset) on Lambda, got ${JSON.stringify(platform)}`,
    );
  }
  return loadConfig({ ...env }, { storage: "aws", platform: "lambda" });
}
