/** docs/deploy.md stays in step with the code it documents: every variable and every context choice. */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ENV } from "../../functions/src/config.js";
import { DEFAULT_SETTINGS } from "../../infra/lib/settings.js";

const PROJECT_ROOT = resolve(import.meta.dirname, "..", "..");
const doc = readFileSync(join(PROJECT_ROOT, "docs", "deploy.md"), "utf8");
const settingsSource = readFileSync(join(PROJECT_ROOT, "infra", "lib", "settings.ts"), "utf8");

describe("docs/deploy.md", () => {
  it("documents every environment variable of functions/src/config.ts", () => {
    // Prepare / Act
    const missing = Object.values(ENV).filter((name) => !doc.includes(`\`${name}\``));

    // Assess
    expect(missing).toEqual([]);
  });

  it("documents every context key the stack reads, with the defaults it uses", () => {
    // Prepare
    const keys = [...settingsSource.matchAll(/(?:optionalString|optionalInt|oneOf)\(context, "(\w+)"/g)].map(
      (m) => m[1]!,
    );

    // Act
    const missing = keys.filter(
      (key) =>
        !doc.includes(`| \`${key}\``) && !doc.includes(`\`${key}\` /`) && !doc.includes(`/ \`${key}\``),
    );

    // Assess
    expect(keys.length).toBeGreaterThanOrEqual(10);
    expect(missing).toEqual([]);
    for (const value of [
      DEFAULT_SETTINGS.compute,
      DEFAULT_SETTINGS.architecture,
      DEFAULT_SETTINGS.lambdaEndpoint,
      DEFAULT_SETTINGS.auth,
    ]) {
      expect(doc).toContain(`\`${value}\``);
    }
  });
});
