/**
 * Which LZ4 binary goes into the Lambda bundle: the function's architecture decides, the
 * checkout's node_modules supplies, and a missing binary means the pure-JS fallback (and a synth
 * warning), never a wrong-architecture binary.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Annotations, Match } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lz4BinaryFor, lz4CopyCommands, lz4InstallHint } from "../../infra/lib/lz4-binary.js";
import { PROJECT_ROOT, synth } from "./synth.js";

let fixture: string;

beforeAll(() => {
  // A node_modules with only the x64 build installed, like an x86_64 Linux checkout.
  fixture = mkdtempSync(join(tmpdir(), "floe-lz4-"));
  mkdirSync(join(fixture, "node_modules", "lz4-napi"), { recursive: true });
  writeFileSync(join(fixture, "node_modules", "lz4-napi", "index.js"), "// loader\n");
  writeFileSync(
    join(fixture, "node_modules", "lz4-napi", "package.json"),
    '{"name":"lz4-napi","version":"2.10.0"}\n',
  );
  mkdirSync(join(fixture, "node_modules", "@antoniomuso", "lz4-napi-linux-x64-gnu"), { recursive: true });
  writeFileSync(
    join(fixture, "node_modules", "@antoniomuso", "lz4-napi-linux-x64-gnu", "lz4-napi.linux-x64-gnu.node"),
    "x64",
  );
});
afterAll(() => rmSync(fixture, { recursive: true, force: true }));

describe("lz4BinaryFor", () => {
  it("finds the glibc build for the function's architecture and nothing for another", () => {
    // Prepare
    const nodeModules = join(fixture, "node_modules");

    // Act
    const x64 = lz4BinaryFor(nodeModules, "x86_64");
    const arm = lz4BinaryFor(nodeModules, "arm64");

    // Assess
    expect(x64).toMatchObject({
      target: "linux-x64-gnu",
      packageName: "@antoniomuso/lz4-napi-linux-x64-gnu",
    });
    expect(x64.binaryPath).toContain("lz4-napi.linux-x64-gnu.node");
    expect(arm).toEqual({
      target: "linux-arm64-gnu",
      packageName: "@antoniomuso/lz4-napi-linux-arm64-gnu",
      binaryPath: undefined,
    });
  });

  it("copy commands put the loader and the binary where the loader looks first, and are empty without a binary", () => {
    // Prepare
    const nodeModules = join(fixture, "node_modules");
    const out = join(fixture, "out dir's");

    // Act
    for (const command of lz4CopyCommands(nodeModules, lz4BinaryFor(nodeModules, "x86_64"), out))
      execFileSync("sh", ["-c", command]);
    const none = lz4CopyCommands(nodeModules, lz4BinaryFor(nodeModules, "arm64"), out);

    // Assess
    expect(readFileSync(join(out, "node_modules", "lz4-napi", "lz4-napi.linux-x64-gnu.node"), "utf8")).toBe(
      "x64",
    );
    expect(existsSync(join(out, "node_modules", "lz4-napi", "index.js"))).toBe(true);
    expect(existsSync(join(out, "node_modules", "lz4-napi", "package.json"))).toBe(true);
    expect(none).toEqual([]);
  });

  it("the install hint names the exact package and version", () => {
    // Prepare / Act
    const hint = lz4InstallHint(lz4BinaryFor(join(fixture, "node_modules"), "arm64"), "2.10.0");

    // Assess
    expect(hint).toContain("npm pack @antoniomuso/lz4-napi-linux-arm64-gnu@2.10.0");
    expect(hint).toContain("antoniomuso-lz4-napi-linux-arm64-gnu-2.10.0.tgz");
    expect(hint).toContain("-C node_modules/@antoniomuso/lz4-napi-linux-arm64-gnu");
  });
});

describe("synth", () => {
  it("warns when the function's architecture has no native LZ4 build in this checkout, and only then", () => {
    // Prepare: which architectures this checkout has binaries for.
    const nodeModules = join(PROJECT_ROOT, "node_modules");
    const missing = (["arm64", "x86_64"] as const).filter(
      (a) => lz4BinaryFor(nodeModules, a).binaryPath === undefined,
    );
    const present = (["arm64", "x86_64"] as const).filter((a) => !missing.includes(a));

    // Act
    const results = [...missing, ...present].map((architecture) => {
      const s = synth({ compute: "lambda", architecture });
      const warnings = Annotations.fromStack(s.stack).findWarning("*", Match.stringLikeRegexp("lz4-napi"));
      s.dispose();
      return { architecture, warned: warnings.length > 0 };
    });

    // Assess
    expect(results).toEqual([
      ...missing.map((architecture) => ({ architecture, warned: true })),
      ...present.map((architecture) => ({ architecture, warned: false })),
    ]);
  });
});
