/**
 * The `floe` command line: parses arguments, runs one command against a `FloeClient`, and turns
 * the outcome into an exit code (exit-codes.ts) with errors as one line on stderr. `run` takes
 * its streams and environment as arguments, so tests drive it in-process as well as spawned.
 */
import { FloeClient } from "../sdk/client.js";
import type { FetchFn } from "../sdk/transport.js";
import {
  type FlagSpecs,
  flagsHelp,
  GLOBAL_FLAGS,
  hoistGlobalFlags,
  intFlag,
  parse,
  stringFlag,
} from "./args.js";
import { CONSUME_FLAGS, consumeCommand, TAIL_FLAGS } from "./commands/consume.js";
import { GROUP_FLAGS, groupsCommand } from "./commands/groups.js";
import { METADATA_FLAGS, metadataCommand } from "./commands/metadata.js";
import { PRODUCE_FLAGS, produceCommand } from "./commands/produce.js";
import { TOPIC_FLAGS, topicsCommand } from "./commands/topics.js";
import { completionScript } from "./completion.js";
import { EXIT, errorLine, exitCodeOf, UsageError } from "./exit-codes.js";
import { InputError } from "./input.js";
import type { Context, Io } from "./output.js";

export const CLI_VERSION = "0.1.0";
export const DEFAULT_URL = "http://127.0.0.1:8080";

const USAGE = `floe — the Floe event log from the command line

usage: floe <command> [arguments] [flags]

commands:
  topics create <topic> [-p N] [-c key=value ...] [--if-not-exists]   create a topic
  topics list                                       list topics
  topics describe [<topic>]                         partitions, offsets and config (all topics without one)
  topics alter <topic> [-p N] [-c key=value ...]    grow partitions, change config
  topics delete <topic> [--if-exists]               delete a topic and its data
  produce <topic> [--file F] [--format lines|ndjson] [-K SEP | --key-field F] [-Z]
                                                    records from stdin or a file, one per line
  consume <topic>... [-g GROUP] [-o beginning|end|N|-N|s@T] [-f | -e] [-n N] [-Z]
                  [--format value|json|'%k %s\n']   records to stdout, one per line
  tail <topic>... [-l N] [-f]                       the last N records of each partition
  metadata [<topic>...]                             topics and partitions, like kcat -L
  groups list                                       consumer groups with state, members, lag
  groups describe [<group>]                         members, committed offsets and lag (all without one)
  groups reset-offsets <group> -t TOPIC (--to-earliest | --to-latest | --to-offset N |
                  --to-datetime T | --shift-by N) [--execute]   a plan, applied with --execute
  completion bash|zsh                               print a shell completion script

global flags:
${flagsHelp(GLOBAL_FLAGS)}

environment: FLOE_URL, FLOE_TOKEN, FLOE_PROGRESS_DELAY_MS (produce: progress bar delay, default 500)
exit codes: 0 ok, 1 unexpected failure, 2 usage, 3 not found, 4 conflict, 5 auth,
            6 rejected input, 7 unavailable (retry later), 130 interrupted
run 'floe <command> --help' for a command's flags.
`;

interface Command {
  flags: FlagSpecs;
  /** Words after the command that name a subcommand (topics create, groups list). */
  subcommands?: string[];
  run(ctx: Context, sub: string, parsed: ReturnType<typeof parse>): Promise<void>;
}

/** A Map: looked up by the user's first word (no prototype keys such as "toString"). */
const COMMANDS = new Map<string, Command>(
  Object.entries({
    topics: {
      flags: TOPIC_FLAGS,
      subcommands: ["create", "list", "describe", "alter", "delete"],
      run: (ctx, sub, parsed) => topicsCommand(ctx, sub, parsed),
    },
    produce: { flags: PRODUCE_FLAGS, run: (ctx, _sub, parsed) => produceCommand(ctx, parsed) },
    consume: { flags: CONSUME_FLAGS, run: (ctx, _sub, parsed) => consumeCommand(ctx, parsed, false) },
    tail: { flags: TAIL_FLAGS, run: (ctx, _sub, parsed) => consumeCommand(ctx, parsed, true) },
    metadata: { flags: METADATA_FLAGS, run: (ctx, _sub, parsed) => metadataCommand(ctx, parsed, ctx.url) },
    groups: {
      flags: GROUP_FLAGS,
      subcommands: ["list", "describe", "reset-offsets"],
      run: (ctx, sub, parsed) => groupsCommand(ctx, sub, parsed),
    },
  } satisfies Record<string, Command>),
);

export interface RunOptions {
  /** Aborted to stop the command cleanly (main.ts wires SIGINT to it). */
  signal?: AbortSignal;
  /** For tests: replaces the global fetch. */
  fetch?: FetchFn;
}

/**
 * Runs one `floe` invocation and returns its exit code; never throws.
 *
 * @example
 * process.exitCode = await run(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout,
 *   stderr: process.stderr, env: process.env });
 */
export async function run(argv: string[], io: Io, options: RunOptions = {}): Promise<number> {
  const signal = options.signal ?? new AbortController().signal;
  try {
    const [name, ...rest] = hoistGlobalFlags(argv);
    if (name === undefined || name === "--help" || name === "-h" || name === "help") {
      io.stdout.write(USAGE);
      return name === undefined ? EXIT.usage : EXIT.ok;
    }
    if (name === "--version" || name === "-V") {
      io.stdout.write(`floe ${CLI_VERSION}\n`);
      return EXIT.ok;
    }
    if (name === "completion") {
      if (rest.length !== 1) throw new UsageError("completion takes bash or zsh");
      io.stdout.write(completionScript(rest[0]!, COMMANDS));
      return EXIT.ok;
    }
    const command = COMMANDS.get(name);
    if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}`);
    let sub = "";
    let args = rest;
    if (command.subcommands) {
      sub = rest[0] ?? "";
      args = rest.slice(1);
      if (sub === "--help" || sub === "-h" || sub === "") {
        io.stdout.write(
          `usage: floe ${name} ${command.subcommands.join("|")} ...\n\nflags:\n${flagsHelp(command.flags)}\n`,
        );
        return sub === "" ? EXIT.usage : EXIT.ok;
      }
      if (!command.subcommands.includes(sub)) {
        throw new UsageError(`unknown command "${name} ${sub}"; use ${command.subcommands.join(", ")}`);
      }
    }
    const parsed = parse(args, command.flags);
    if (parsed.values.help === true) {
      io.stdout.write(
        `usage: floe ${name}${sub ? ` ${sub}` : ""} ...\n\nflags:\n${flagsHelp({ ...command.flags, ...GLOBAL_FLAGS })}\n`,
      );
      return EXIT.ok;
    }
    const url = stringFlag(parsed.values, "url") ?? io.env.FLOE_URL ?? DEFAULT_URL;
    const token = stringFlag(parsed.values, "token") ?? io.env.FLOE_TOKEN;
    let client: FloeClient;
    try {
      client = new FloeClient({
        url,
        token: token === "" ? undefined : token,
        requestTimeoutMs: intFlag(parsed.values, "timeout-ms", 1, 3_600_000),
        fetch: options.fetch,
      });
    } catch (error) {
      throw new UsageError(error instanceof Error ? error.message : String(error));
    }
    await command.run({ client, io, json: parsed.values.json === true, signal, url }, sub, parsed);
    return signal.aborted ? EXIT.interrupted : EXIT.ok;
  } catch (error) {
    io.stderr.write(`${errorLine(error)}\n`);
    if (error instanceof InputError) return EXIT.rejected;
    return exitCodeOf(error);
  }
}
