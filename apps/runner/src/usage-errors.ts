/**
 * Commander's own complaints (an unknown or malformed flag, a missing
 * required one, an unknown command word) in the runner's one shape for bad
 * input: one line, a hint to --help, exit code 2 (README, "When things go
 * wrong"). Left alone, commander prints the whole usage after the message
 * and exits 1, and a word that is no command falls through to the default
 * command `exp`, which reports a missing --file or "too many arguments".
 */
import type { Command } from "commander";

/** "error: unknown option '--bogus'\n(Did you mean --dry-run?)" → one line with the hint. */
function oneLine(message: string, command: string): string {
  return `${message.trim().replace(/\s*\n\s*/g, " ").replace(/\.$/, "")}; see \`${command} --help\``;
}

/** The command's name as a user types it: "runner", "runner exp". */
function invocation(command: Command): string {
  const names: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) names.unshift(c.name());
  return names.join(" ");
}

/**
 * Call once every command is declared: subcommands copy their parent's
 * settings when they are created, so each is configured here.
 */
export function oneLineUsageErrors(program: Command): void {
  for (const command of [program, ...program.commands]) {
    const name = invocation(command);
    command
      .showHelpAfterError(false)
      .configureOutput({ outputError: (message, write) => write(`${oneLine(message, name)}\n`) })
      // Help asked for exits 0; every usage error exits 2, as the runner's other input errors do.
      .exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));
  }
  program.hook("preSubcommand", (parent, sub) => {
    // A first word that is neither a flag nor the command it reached can only have reached the default command: it was meant as a command.
    const [word] = parent.args;
    if (word === undefined || word.startsWith("-") || word === sub.name() || sub.aliases().includes(word)) return;
    const names = parent.commands.map((c) => c.name());
    const file = /\.exp\.[cm]?[jt]s$/.test(word) ? `; to train that file: ${invocation(sub)} --file=${word}` : "";
    parent.error(`error: unknown command "${word}" (commands: ${names.join(", ")})${file}`, { code: "commander.unknownCommand", exitCode: 2 });
  });
}
