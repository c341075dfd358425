/**
 * `pop3-ingest demo`: the whole pipeline with no setup. Starts the embedded POP3 server on
 * 127.0.0.1, polls it with the real engine and sync core into a local folder, and shows what
 * was stored and which events were written.
 *
 * The demo server speaks plaintext and the poll sends its password in clear, explicitly allowed
 * (tls.allowInsecureAuth): acceptable only because both ends are this process, on loopback.
 */
import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { validateConfig } from '../../config/load.js';
import type { PollSummary } from '../../sync/types.js';
import { booleanFlag, choiceFlag, parseCommandArgs, stringFlag } from '../args.js';
import { DEMO_MESSAGES, DEMO_USER } from '../demo/samples.js';
import { startDemoServer, type DemoServer } from '../demo/server.js';
import { ExitCode, exitCodeForSummary, type ExitCodeValue } from '../exit-codes.js';
import { formatSummary } from '../format-summary.js';
import { CliLogger, escapeText, formatBytes, logLevelFrom, writeResult } from '../output.js';
import { pollMailboxes } from '../../compose/poll-mailboxes.js';
import { createCliRuntime } from '../../compose/services.js';
import { CLI_POLL_HOOKS } from '../poll-hooks.js';
import { DEMO_SPEC } from './specs.js';

/** Default demo output folder. */
export const DEFAULT_DEMO_DIR = './pop3-ingest-demo';
/** The environment variable the demo's throwaway password travels in (never printed). */
const PASSWORD_ENV = 'POP3_INGEST_DEMO_PASSWORD';

/** Runs `pop3-ingest demo`; resolves with the exit code. */
export async function runDemo(argv: readonly string[]): Promise<ExitCodeValue> {
  const values = parseCommandArgs(argv, DEMO_SPEC);
  const json = booleanFlag(values, 'json');
  const logger = new CliLogger({ level: logLevelFrom({ verbose: booleanFlag(values, 'verbose'), quiet: booleanFlag(values, 'quiet') }), json });
  if (booleanFlag(values, 'serve')) return serve(json);

  const outDir = resolve(stringFlag(values, 'out') ?? DEFAULT_DEMO_DIR);
  const mode = choiceFlag(values, 'mode', ['full', 'headers'] as const) ?? 'full';
  // A fresh random password per run: it only has to match between our own two ends.
  const password = randomBytes(18).toString('base64url');
  const server = await startDemoServer({ messages: DEMO_MESSAGES, user: DEMO_USER, password });
  try {
    logger.info(`demo POP3 server listening on ${server.host}:${server.port} (loopback only)`);
    logger.warn('the demo connection is PLAINTEXT with --insecure-auth: fine on loopback, never for a real server');
    const config = await validateConfig(
      {
        mailboxes: [
          {
            id: 'demo',
            host: server.host,
            port: server.port,
            tls: { mode: 'none', allowInsecureAuth: true },
            auth: { user: DEMO_USER, secret: { env: PASSWORD_ENV }, mechanisms: ['USER'] },
            mode,
            delete: 'never',
            // The demo server is the same mailbox on a new port each run.
            acceptNewIdentity: true,
            // Shows lambda/parse: message.json and each attachment beside the raw message.
            ...(mode === 'full' ? { parse: { attachments: true } } : {}),
          },
        ],
      },
      'the demo',
    );
    const eventsFile = join(outDir, 'events.jsonl');
    const eventsOffset = await fileSize(eventsFile);
    const runtime = await createCliRuntime(config, { ...process.env, [PASSWORD_ENV]: password });
    let summary: PollSummary;
    try {
      const [run] = await pollMailboxes(config, runtime, { ...CLI_POLL_HOOKS, outDir, eventsFile, concurrency: 1, logger });
      if (run === undefined) throw new Error('the demo polled no mailbox');
      summary = run.summary;
    } finally {
      runtime.close();
    }
    const events = await readEventsSince(eventsFile, eventsOffset);
    const exitCode = exitCodeForSummary(summary);
    writeResult(
      json,
      { ok: exitCode === ExitCode.OK, exitCode, server: { host: server.host, port: server.port }, outDir, eventsFile, summary, events },
      () => formatDemo(summary, events, outDir, eventsFile),
    );
    return exitCode;
  } finally {
    await server.close();
  }
}

/** `demo --serve`: only the server, for trying other clients (mpop, poll) against it. */
async function serve(json: boolean): Promise<ExitCodeValue> {
  const password = process.env[PASSWORD_ENV] ?? 'demo';
  const server: DemoServer = await startDemoServer({ messages: DEMO_MESSAGES, user: DEMO_USER, password });
  const info = { host: server.host, port: server.port, user: DEMO_USER, passwordEnv: PASSWORD_ENV, tls: 'none' };
  // One compact line, so a script can read the address as soon as it appears.
  if (json) {
    process.stdout.write(`${JSON.stringify(info)}\n`);
  } else {
    process.stdout.write(
      [
        `demo POP3 server on ${server.host}:${server.port} (plaintext, loopback only); Ctrl-C to stop`,
        `  user "${DEMO_USER}", password from $${PASSWORD_ENV} (default: the word "demo")`,
        `  try: ${PASSWORD_ENV}=... pop3-ingest poll --host ${server.host} --port ${server.port} --tls none --insecure-auth --user ${DEMO_USER} --password-env ${PASSWORD_ENV}`,
        '',
      ].join('\n'),
    );
  }
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', () => resolveStop());
    process.once('SIGTERM', () => resolveStop());
  });
  await server.close();
  return ExitCode.OK;
}

/** One line of events.jsonl, as far as the demo shows it. */
interface DemoEvent {
  id?: string;
  'detail-type'?: string;
  detail?: Record<string, unknown>;
}

function formatDemo(summary: PollSummary, events: readonly DemoEvent[], outDir: string, eventsFile: string): string {
  const lines = [formatSummary(summary).trimEnd()];
  const perMessage = events.filter((e) => e['detail-type'] !== 'Mailbox Polled');
  if (perMessage.length > 0) {
    lines.push('', `stored under ${outDir}:`);
    for (const e of perMessage) {
      const d = e.detail ?? {};
      const headers = (d.headers ?? {}) as Record<string, unknown>;
      const key = typeof d.key === 'string' ? d.key : '?';
      const size = typeof d.size === 'number' ? formatBytes(d.size) : '';
      const subject = typeof headers.subject === 'string' ? `"${escapeText(headers.subject, 80)}"` : '';
      lines.push(`  ${escapeText(key)}  ${size}  ${subject}`.trimEnd());
      lines.push(...parsedLines(d));
    }
  }
  const shown = relative(process.cwd(), eventsFile) || eventsFile;
  lines.push('', `events appended to ${shown}:`);
  for (const e of events) lines.push(`  ${escapeText(e['detail-type'] ?? '?').padEnd(16)} id ${escapeText(e.id ?? '')}`);
  if (events.length === 0) lines.push('  (none)');
  const again = rerunCommand();
  if (summary.status === 'ok') {
    lines.push(
      '',
      summary.newMessages > 0
        ? 'The demo mailbox is unchanged, so the next run will find nothing new.'
        : 'Nothing new: every demo message is already recorded in the seen-state. Delete the folder to start over.',
    );
  }
  lines.push(`Run it again with: ${again}`);
  return `${lines.join('\n')}\n`;
}

/** Where parsing put message.json and each attachment (mailboxes with parse), or why it did not. */
function parsedLines(detail: Record<string, unknown>): string[] {
  const parsed = detail.parsed as { messageJson?: { key?: unknown }; attachments?: Array<Record<string, unknown>> } | undefined;
  if (parsed === undefined) {
    return typeof detail.reason === 'string' && detail.kind === 'parse-failed' ? [`    not parsed: ${escapeText(detail.reason)}`] : [];
  }
  const lines = [`    parsed -> ${escapeText(String(parsed.messageJson?.key ?? '?'))}`];
  for (const a of parsed.attachments ?? []) {
    // The filename is untrusted text: shown escaped, and it is not part of the key.
    const name = typeof a.name === 'string' ? `"${escapeText(a.name, 60)}"` : '(no name)';
    const size = typeof a.size === 'number' ? formatBytes(a.size) : '';
    lines.push(`    attachment ${name} ${escapeText(String(a.type ?? ''))} ${size} -> ${escapeText(String(a.key ?? '(listed, not stored)'))}`);
  }
  return lines;
}

/**
 * How this user starts the demo: "npm start" from a clone of the repository (npm sets
 * npm_lifecycle_event), the installed command otherwise, with the clone's way shown too.
 */
function rerunCommand(): string {
  if (process.env.npm_lifecycle_event === 'start') return 'npm start';
  return '"pop3-ingest demo" (installed), or "npm start" in a clone of the repository';
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** The events this run appended (the file is append-only, so: everything after `offset`). */
async function readEventsSince(path: string, offset: number): Promise<DemoEvent[]> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch {
    return [];
  }
  return data
    .subarray(offset)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as DemoEvent];
      } catch {
        return [];
      }
    });
}
