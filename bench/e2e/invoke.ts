/**
 * Runs one handler invocation in a child process (invoke-child.ts) and returns what it measured.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PollSummary } from '../../lambda/sync/types.js';
import type { FakeAwsCounts } from './aws-fakes.js';

/** What the parent asks of one child. */
export interface ChildRequest {
  event: unknown;
  /** What context.getRemainingTimeInMillis() starts from. */
  budgetMs: number;
  /** The Secrets Manager fake's answer. */
  secret: string;
  /** Where the child appends the uidHash of each "Message Stored" entry it published. */
  storedLog?: string;
  /** 'http': EventBridge is not faked in the child; AWS_ENDPOINT_URL_EVENTBRIDGE serves it. */
  eventBridge?: 'in-process' | 'http';
  resultFile: string;
}

/** What one child measured. */
export interface ChildResult {
  summaries: PollSummary[];
  error?: string;
  /** Handler time, from call to return (what Lambda bills). */
  handlerMs: number;
  /** VmHWM of the child after the invocation, KiB (process-wide high-water mark). */
  peakRssKb: number;
  /** VmHWM once modules were loaded, before the invocation, KiB. */
  baselineRssKb: number;
  /** S3 requests by command, counted below the SDK's retry middleware. */
  s3: Record<string, number>;
  aws: FakeAwsCounts;
}

/** One invocation, plus the wall time of the whole child (process start included). */
export interface Invocation extends ChildResult {
  wallMs: number;
}

const CHILD = fileURLToPath(new URL('./invoke-child.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Spawns the child with `env` (the Lambda environment) and waits for its result. */
export async function invokeInChild(request: Omit<ChildRequest, 'resultFile'>, env: NodeJS.ProcessEnv): Promise<Invocation> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-e2e-inv-'));
  try {
    const resultFile = join(dir, 'result.json');
    const requestFile = join(dir, 'request.json');
    await writeFile(requestFile, JSON.stringify({ ...request, resultFile } satisfies ChildRequest), { mode: 0o600 });
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, requestFile], {
      cwd: REPO_ROOT,
      env,
      // Powertools writes JSON logs and EMF to stdout; only errors are worth showing.
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (c) => resolve(c));
    });
    const wallMs = performance.now() - started;
    let text: string;
    try {
      text = await readFile(resultFile, 'utf8');
    } catch {
      throw new Error(`invocation child exited with ${String(code)} and no result: ${stderr.trim().slice(-1500)}`);
    }
    return { ...(JSON.parse(text) as ChildResult), wallMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
