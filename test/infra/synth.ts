/**
 * Synthesises the Floe stack for template tests, fast: no esbuild bundling (context
 * `aws:cdk:bundling-stacks: []`) and no built-in CloudFormation validation (`cdk synth` runs
 * that; it takes ~10 s on a large template). One synth per variant per file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { FloeStack } from "../../infra/lib/floe-stack.js";
import { DEFAULT_SETTINGS, type FloeSettings } from "../../infra/lib/settings.js";

export const PROJECT_ROOT = resolve(import.meta.dirname, "..", "..");

export interface Synthesised {
  app: App;
  stack: FloeStack;
  template: Template;
  outdir: string;
  /** Removes the cloud assembly directory. */
  dispose(): void;
}

export function synth(
  settings: Partial<Omit<FloeSettings, "stackName">> = {},
  options: { bundle?: boolean } = {},
): Synthesised {
  const outdir = mkdtempSync(join(tmpdir(), "floe-cdk-"));
  const app = new App({
    outdir,
    builtinCloudFormationValidation: false,
    context: options.bundle ? {} : { "aws:cdk:bundling-stacks": [] },
  });
  const { stackName: _name, ...defaults } = DEFAULT_SETTINGS;
  const stack = new FloeStack(app, "FloeTest", {
    settings: { ...defaults, ...settings },
    projectRoot: PROJECT_ROOT,
  });
  app.synth();
  return {
    app,
    stack,
    template: Template.fromStack(stack),
    outdir,
    dispose: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** A resource's properties, typed loosely for reading. */
export type Json = Record<string, unknown>;

export function resourcesOf(template: Template, type: string): Array<[string, Json]> {
  return Object.entries(template.findResources(type)) as Array<[string, Json]>;
}

export function propertiesOf(resource: Json): Json {
  return (resource.Properties ?? {}) as Json;
}

/** The logical id of the only resource of a type. */
export function onlyLogicalId(template: Template, type: string): string {
  const ids = Object.keys(template.findResources(type));
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`);
  return ids[0]!;
}
