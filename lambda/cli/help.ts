/**
 * `--help` text, generated from the flag tables in commands/specs.ts.
 */
import type { CommandSpec } from './args.js';
import { COMMANDS } from './commands/specs.js';
import { EXIT_CODE_HELP } from './exit-codes.js';

/** Help for one command. */
export function commandHelp(spec: CommandSpec): string {
  const rows = spec.flags.map((f) => {
    const left = `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.value ? ` ${f.value}` : ''}`;
    return [left, f.help] as const;
  });
  const width = Math.min(34, Math.max(...rows.map(([l]) => l.length)) + 2);
  const flagLines = rows.map(([l, h]) => (l.length + 2 > width ? `  ${l}\n  ${' '.repeat(width)}${h}` : `  ${l.padEnd(width)}${h}`));
  return [
    `pop3-ingest ${spec.name}: ${spec.summary}`,
    '',
    `Usage: ${spec.usage}`,
    '',
    spec.description,
    '',
    'Options:',
    ...flagLines,
    '',
    'Examples:',
    ...spec.examples.map((e) => `  ${e}`),
    '',
    EXIT_CODE_HELP,
    '',
  ].join('\n');
}

/** Help for `pop3-ingest` itself. */
export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  return [
    'pop3-ingest: turn a POP3 mailbox into an event stream',
    '',
    'Usage: pop3-ingest <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show help (also: pop3-ingest <command> --help)',
    '  -V, --version  print the version',
    '',
    'Secure by default: TLS on, certificates verified, passwords only from the environment or a',
    'file and never printed. Start with "pop3-ingest demo" (no setup needed).',
    '',
    EXIT_CODE_HELP,
    '',
  ].join('\n');
}
