/** Zod failures become one `invalid_request` whose message names the offending field. */
import type { z } from "@hono/zod-openapi";
import { type FloeError, invalidRequest } from "../../../client/src/errors.js";

/** `records[2].key`, `offset`, ... (what a user would write to point at the field). */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** Where the bad value was: the body, a query parameter, a path parameter or a header. */
export type ValidationTarget = "body" | "query" | "path" | "header";

const TARGET_NAMES: Record<string, ValidationTarget> = {
  json: "body",
  query: "query",
  param: "path",
  header: "header",
};

export function validationTarget(target: string): ValidationTarget {
  return TARGET_NAMES[target] ?? "body";
}

export function describeIssues(target: ValidationTarget, error: z.ZodError): FloeError {
  const issues = error.issues;
  const first = issues[0];
  const field = first ? fieldPath(first.path) : "";
  const where = field === "" ? `the ${target}` : target === "body" ? field : `${target} ${field}`;
  const more =
    issues.length > 1 ? ` (and ${issues.length - 1} more problem${issues.length > 2 ? "s" : ""})` : "";
  return invalidRequest(`${where}: ${first?.message ?? "invalid"}${more}`, {
    field: field === "" ? target : field,
  });
}
