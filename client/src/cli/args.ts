/**
 * Command-line parsing on Node's own `util.parseArgs` (no dependency): each command declares
 * its flags, the global ones are added, and every mistake becomes a `UsageError` (exit 2) with a
 * message naming the flag.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./exit-codes.js";

export interface FlagSpec {
  type: "string" | "boolean";
  short?: string;
  multiple?: boolean;
  /** One line for --help. */
  help: string;
}

export type FlagSpecs = Record<string, FlagSpec>;

export type FlagValues = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface Parsed {
  values: FlagValues;
  positionals: string[];
}

/** Flags every command takes. */
export const GLOBAL_FLAGS: FlagSpecs = {
  url: { type: "string", help: "Floe endpoint (default $FLOE_URL or http://127.0.0.1:8080)" },
  token: { type: "string", help: "bearer token (default $FLOE_TOKEN)" },
  json: { type: "boolean", help: "machine-readable JSON output" },
  "timeout-ms": { type: "string", help: "per-request timeout in ms (default 30000)" },
  help: { type: "boolean", short: "h", help: "show help" },
};

/**
 * Parses `args` against the command's flags plus the global ones.
 *
 * @example
 * const { values, positionals } = parse(["orders", "--partitions", "3"], { partitions: { type: "string", help: "" } });
 */
export function parse(args: string[], flags: FlagSpecs): Parsed {
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries({ ...GLOBAL_FLAGS, ...flags })) {
    options[name] = {
      type: spec.type,
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.multiple ? { multiple: true } : {}),
    };
  }
  try {
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(args, options),
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as FlagValues, positionals };
  } catch (error) {
    // parseArgs' messages are good but long ("Unknown option '--x'. To specify a positional ...").
    const message = error instanceof Error ? error.message.split(". ")[0]! : String(error);
    throw new UsageError(message.replace(/^Option/, "option").replace(/^Unknown/, "unknown"));
  }
}

/**
 * `--offset -1` and `-o -1`: parseArgs reads `-1` as a flag and refuses ("argument is
 * ambiguous"); a negative number after a flag that takes a value is that flag's value.
 *
 * @example
 * joinNegativeValues(["-o", "-5"], { offset: { type: "string", short: "o" } }); // ["--offset=-5"]
 */
export function joinNegativeValues(
  args: string[],
  options: Record<string, { type: "string" | "boolean"; short?: string }>,
): string[] {
  const byShort = new Map<string, string>();
  const names = new Set<string>();
  for (const [name, o] of Object.entries(options)) {
    if (o.type !== "string") continue;
    names.add(name);
    if (o.short) byShort.set(o.short, name);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const name = arg.startsWith("--") ? arg.slice(2) : /^-[^-]$/.test(arg) ? byShort.get(arg[1]!) : undefined;
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    if (name !== undefined && names.has(name) && next !== undefined && /^-\d/.test(next)) {
      out.push(`--${name}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

export function stringFlag(values: FlagValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === "string" ? v : undefined;
}

export function boolFlag(values: FlagValues, name: string): boolean {
  return values[name] === true;
}

export function listFlag(values: FlagValues, name: string): string[] {
  const v = values[name];
  return Array.isArray(v)
    ? v.filter((x): x is string => typeof x === "string")
    : typeof v === "string"
      ? [v]
      : [];
}

/**
 * An integer flag within bounds, or undefined when absent.
 *
 * @example
 * const partitions = intFlag(values, "partitions", 1, 1024) ?? 1;
 */
export function intFlag(values: FlagValues, name: string, min: number, max: number): number | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  return parseIntArg(raw, `--${name}`, min, max);
}

export function parseIntArg(raw: string, what: string, min: number, max: number): number {
  const n = /^-?\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!(Number.isSafeInteger(n) && n >= min && n <= max)) {
    throw new UsageError(`${what} must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

/** Exactly `names.length` positionals, named for the error message. */
export function positionals(parsed: Parsed, names: string[]): string[] {
  if (parsed.positionals.length < names.length)
    throw new UsageError(`missing <${names[parsed.positionals.length]}>`);
  if (parsed.positionals.length > names.length) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[names.length])}`);
  }
  return parsed.positionals;
}

/**
 * `--config k=v` pairs as an object (numbers stay strings: the server parses and validates them).
 *
 * @example
 * keyValues(["retention.ms=1000"], "--config"); // { "retention.ms": "1000" }
 */
export function keyValues(pairs: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`${what} takes key=value, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/** Help text for a command's flags. */
export function flagsHelp(flags: FlagSpecs): string {
  const rows = Object.entries(flags).map(([name, spec]) => {
    const left = `${spec.short ? `-${spec.short}, ` : "    "}--${name}${spec.type === "string" ? " <value>" : ""}`;
    return [left, spec.help] as const;
  });
  const width = Math.max(0, ...rows.map(([l]) => l.length));
  return rows.map(([l, h]) => `  ${l.padEnd(width)}  ${h}`).join("\n");
}

/**
 * Moves global flags written before the command (`floe --url X topics list`, as kcat and the
 * Kafka tools allow) to after it, where the command's parser reads them.
 *
 * @example
 * hoistGlobalFlags(["--url", "http://h", "topics", "list"]); // ["topics", "list", "--url", "http://h"]
 */
export function hoistGlobalFlags(argv: string[]): string[] {
  const leading: string[] = [];
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    const [flag] = arg.replace(/^--/, "").split("=", 1);
    const spec = arg.startsWith("--") && flag !== "help" ? GLOBAL_FLAGS[flag!] : undefined;
    if (!spec) break;
    leading.push(arg);
    if (spec.type === "string" && !arg.includes("=") && i + 1 < argv.length) leading.push(argv[++i]!);
    i++;
  }
  return [...argv.slice(i), ...leading];
}
