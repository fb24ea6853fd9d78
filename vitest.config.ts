import { defineConfig } from "vitest/config";

// `npm test` runs everything fast: unit, contract (in-memory + dynalite/s3rver), integration and
// bounded reliability tests. Chaos/soak suites live under test/chaos and have their own script.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/chaos/**", "node_modules/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
    // Node 20 is supported by this project; the SDK's per-worker warning is noise in test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
