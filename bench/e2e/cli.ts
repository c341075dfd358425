/**
 * Runs the compiled CLI (`npm run build` first) as its own process, timed from spawn to exit:
 * start-up included, as a cron job or an operator would see it.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PollSummary } from '../../lambda/sync/types.js';
import { watchProcess } from '../proc-watch.js';

const CLI = fileURLToPath(new URL('../../dist/lambda/cli/main.js', import.meta.url));

/** One CLI run: wall time, peak RSS and the JSON document it printed. */
export interface CliRun {
  wallMs: number;
  peakRssKb: number;
  /** User + system CPU of the whole process (start-up included), polled from /proc, ms. */
  cpuMs: number;
  exitCode: number | null;
  summaries: PollSummary[];
}

/**
 * `pop3-ingest poll --json --quiet <args>` with `env`; never throws for a non-zero exit.
 * `nodeArgs` go to Node itself (e.g. --cpu-prof, which NODE_OPTIONS does not accept).
 */
export async function runCliPoll(args: readonly string[], env: NodeJS.ProcessEnv, nodeArgs: readonly string[] = []): Promise<CliRun> {
  const started = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'poll', '--json', '--quiet', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const watch = child.pid === undefined ? undefined : watchProcess(child.pid);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', resolve);
  });
  const wallMs = performance.now() - started;
  const { peakRssKb, cpuMs } = watch?.stop() ?? { peakRssKb: 0, cpuMs: 0 };
  let summaries: PollSummary[] = [];
  try {
    summaries = (JSON.parse(stdout) as { mailboxes: PollSummary[] }).mailboxes;
  } catch {
    throw new Error(`CLI exited with ${String(exitCode)} without a JSON document: ${stderr.trim().slice(-1500)}`);
  }
  return { wallMs, peakRssKb, cpuMs, exitCode, summaries };
}
