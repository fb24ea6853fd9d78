/**
 * `floe completion bash|zsh`: a completion script for commands, subcommands and flags, e.g.
 * `source <(npx floe completion bash)`, or `floe completion zsh > "${fpath[1]}/_floe"`.
 * Generated from the command table, so it stays in step with what `floe` accepts.
 */
import type { FlagSpecs } from "./args.js";
import { GLOBAL_FLAGS } from "./args.js";
import { UsageError } from "./exit-codes.js";

export interface CompletionCommand {
  flags: FlagSpecs;
  subcommands?: string[];
}

function flagWords(flags: FlagSpecs): string {
  return Object.entries({ ...flags, ...GLOBAL_FLAGS })
    .flatMap(([name, spec]) => [`--${name}`, ...(spec.short ? [`-${spec.short}`] : [])])
    .join(" ");
}

/**
 * The script for `shell`.
 *
 * @example
 * completionScript("bash", new Map([["topics", { flags: {}, subcommands: ["list"] }]]));
 */
export function completionScript(shell: string, commands: Map<string, CompletionCommand>): string {
  const names = [...commands.keys(), "completion"].join(" ");
  const cases = [...commands]
    .map(
      ([name, c]) =>
        `    ${name}) subs="${(c.subcommands ?? []).join(" ")}"; flags="${flagWords(c.flags)}" ;;`,
    )
    .join("\n");
  const body = `  local subs="" flags=""
  case "\${words[2]}" in
${cases}
    completion) subs="bash zsh" ;;
  esac`;
  if (shell === "bash") {
    return `# floe bash completion: source <(floe completion bash)
_floe() {
  local cur="\${COMP_WORDS[COMP_CWORD]}"
  local words=("" "\${COMP_WORDS[@]}")
  if [ "$COMP_CWORD" -eq 1 ]; then COMPREPLY=($(compgen -W "${names}" -- "$cur")); return; fi
${body}
  if [ "$COMP_CWORD" -eq 2 ] && [ -n "$subs" ]; then COMPREPLY=($(compgen -W "$subs" -- "$cur")); return; fi
  COMPREPLY=($(compgen -W "$flags" -- "$cur"))
}
complete -o default -F _floe floe
`;
  }
  if (shell === "zsh") {
    return `#compdef floe
# floe zsh completion: floe completion zsh > "\${fpath[1]}/_floe" (then compinit)
_floe() {
  if (( CURRENT == 2 )); then compadd -- ${names}; return; fi
${body}
  if (( CURRENT == 3 )) && [[ -n "$subs" ]]; then compadd -- \${=subs}; return; fi
  compadd -- \${=flags}
  _files
}
compdef _floe floe 2>/dev/null || _floe "$@"
`;
  }
  throw new UsageError(`completion takes bash or zsh, got ${JSON.stringify(shell)}`);
}
