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
  },
});
