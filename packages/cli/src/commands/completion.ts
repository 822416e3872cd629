// `lllm completion bash|zsh|fish`: a completion script for the shell, generated from the commands
// and options the program declares (so it never falls behind them).
import type { Command } from 'commander';
import { UsageError } from '../io.js';

/** The shells `lllm completion` writes scripts for. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;

interface Spec {
  readonly name: string;
  readonly description: string;
  readonly options: readonly string[];
  readonly subcommands: readonly string[];
}

function specs(program: Command): Spec[] {
  return program.commands
    .filter((command) => command.name() !== 'help')
    .map((command) => ({
      name: command.name(),
      description: command.description().split('\n')[0] ?? '',
      options: [...command.options.flatMap((option) => [option.long, option.short]), '--help'].filter(
        (flag): flag is string => typeof flag === 'string',
      ),
      subcommands: command.commands.map((sub) => sub.name()),
    }));
}

const quoted = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;

function bash(commands: Spec[]): string {
  const cases = commands
    .map((command) => `    ${command.name}) words=${quoted([...command.subcommands, ...command.options].join(' '))} ;;`)
    .join('\n');
  return `# lllm completion for bash: eval "$(lllm completion bash)" (or save it in ~/.local/share/bash-completion/completions/lllm)
_lllm() {
  local current=\${COMP_WORDS[COMP_CWORD]} words
  if [ "$COMP_CWORD" -eq 1 ]; then
    words=${quoted(`${commands.map((command) => command.name).join(' ')} --help --version`)}
  else
    case "\${COMP_WORDS[1]}" in
${cases}
    *) words='' ;;
    esac
  fi
  COMPREPLY=( $(compgen -W "$words" -- "$current") )
  if [ \${#COMPREPLY[@]} -eq 0 ]; then COMPREPLY=( $(compgen -f -- "$current") ); fi
}
complete -o default -F _lllm lllm
`;
}

function zsh(commands: Spec[]): string {
  const list = commands.map((command) => `    ${quoted(`${command.name}:${command.description.replace(/:/g, '\\:')}`)}`).join('\n');
  const cases = commands
    .map((command) => `    ${command.name}) compadd -- ${[...command.subcommands, ...command.options].map(quoted).join(' ')}; _files ;;`)
    .join('\n');
  return `#compdef lllm
# lllm completion for zsh: eval "$(lllm completion zsh)" (or save it as _lllm in a folder of $fpath)
_lllm() {
  local -a commands
  commands=(
${list}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case $words[2] in
${cases}
  esac
}
if [ "$funcstack[1]" = "_lllm" ]; then _lllm "$@"; else compdef _lllm lllm; fi
`;
}

function fish(commands: Spec[]): string {
  const lines = ['# lllm completion for fish: lllm completion fish > ~/.config/fish/completions/lllm.fish', 'complete -c lllm -f'];
  for (const command of commands) {
    lines.push(`complete -c lllm -n __fish_use_subcommand -a ${command.name} -d ${quoted(command.description)}`);
    for (const sub of command.subcommands) lines.push(`complete -c lllm -n '__fish_seen_subcommand_from ${command.name}' -a ${sub}`);
    for (const option of command.options) {
      const flag = option.startsWith('--') ? `-l ${option.slice(2)}` : `-s ${option.slice(1)}`;
      lines.push(`complete -c lllm -n '__fish_seen_subcommand_from ${command.name}' ${flag}`);
    }
  }
  lines.push('complete -c lllm -n __fish_use_subcommand -l help -l version');
  return `${lines.join('\n')}\n`;
}

/** The completion script of `shell` for `program`. */
export function completionScript(program: Command, shell: string): string {
  const commands = specs(program);
  if (shell === 'bash') return bash(commands);
  if (shell === 'zsh') return zsh(commands);
  if (shell === 'fish') return fish(commands);
  throw new UsageError(`lllm completion writes scripts for ${SHELLS.join(', ')}, not ${JSON.stringify(shell)}: e.g. lllm completion bash`);
}
