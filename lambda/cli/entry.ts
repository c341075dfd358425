/**
 * `pop3-ingest`: the CLI proper, started by main.ts (the bin), bundled into one file by
 * scripts/bundle-cli.mjs. Dispatches to one command, turns its outcome (or any error) into an
 * exit code (exit-codes.ts). Commands are imported lazily (separate chunks in the bundle) so
 * `--help` stays instant and the AWS SDK is loaded only when a bucket or an event bus is asked for.
 */
import type { CommandSpec } from './args.js';
import { CHECK_SPEC, DEMO_SPEC, POLL_SPEC, REPLAY_SPEC, SEED_SPEC } from './commands/specs.js';
import { ExitCode, exitCodeForError, type ExitCodeValue } from './exit-codes.js';
import { commandHelp, mainHelp } from './help.js';
import { escapeText } from './output.js';
import { cliVersion } from './version.js';
import { classifyError } from '../shared/errors.js';

/** A command's implementation: gets its own argv, returns the exit code. */
export type CommandRunner = (argv: readonly string[]) => Promise<ExitCodeValue>;

const COMMANDS: Record<string, { spec: CommandSpec; load: () => Promise<CommandRunner> }> = {
  poll: { spec: POLL_SPEC, load: async () => (await import('./commands/poll.js')).runPoll },
  check: { spec: CHECK_SPEC, load: async () => (await import('./commands/check.js')).runCheck },
  seed: { spec: SEED_SPEC, load: async () => (await import('./commands/seed.js')).runSeed },
  replay: { spec: REPLAY_SPEC, load: async () => (await import('./commands/replay.js')).runReplay },
  demo: { spec: DEMO_SPEC, load: async () => (await import('./commands/demo.js')).runDemo },
};

/** Runs the CLI with the given arguments (without "node" and the script path). */
export async function main(argv: readonly string[]): Promise<ExitCodeValue> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(mainHelp());
    return ExitCode.OK;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${cliVersion()}\n`);
    return ExitCode.OK;
  }
  const command = name === undefined ? undefined : COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(mainHelp());
    process.stderr.write(
      name === undefined ? '\nerror: no command given\n' : `\nerror: unknown command "${escapeText(name, 40)}"\n`,
    );
    return ExitCode.USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(commandHelp(command.spec));
    return ExitCode.OK;
  }
  const json = rest.includes('--json');
  try {
    const run = await command.load();
    return await run(rest);
  } catch (error) {
    return reportFatal(error, json);
  }
}

/** Last-resort reporting: one line (plus a hint) on stderr, and the JSON document with --json. */
function reportFatal(error: unknown, json: boolean): ExitCodeValue {
  const code = exitCodeForError(error);
  const { category, code: errorCode } = classifyError(error);
  const message = escapeText(error instanceof Error ? error.message : String(error));
  const hint = (error as { hint?: unknown } | null)?.hint;
  process.stderr.write(`pop3-ingest: error: ${message}${typeof hint === 'string' ? `\n  hint: ${hint}` : ''}\n`);
  if (code === ExitCode.OTHER && process.env.POP3_INGEST_DEBUG && error instanceof Error && error.stack) {
    process.stderr.write(`${escapeText(error.stack, 8000)}\n`);
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: false, exitCode: code, error: { code: errorCode, category, message } }, null, 2)}\n`);
  }
  return code;
}

const exitCode = await main(process.argv.slice(2));
// Flush stdout before leaving: a lingering handle (an idle keep-alive socket) must not hold the exit.
process.stdout.write('', () => process.exit(exitCode));
