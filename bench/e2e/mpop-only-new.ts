/**
 * mpop as the idle-poll reference: keep mode, `--only-new`, and a UIDL file filled by a first
 * run, so a run with nothing new does what our idle poll does (log in, UIDL, compare, QUIT).
 * bench/mpop.ts removes its UIDL file before each run (it measures full downloads), hence this.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MpopAccount, MpopResult } from '../mpop.js';
import { watchProcess } from '../proc-watch.js';

/** A configured mpop whose UIDL file persists across runs. */
export interface OnlyNewMpop {
  /** One `mpop --only-new --keep` run (the first one fills the UIDL file). */
  run(): Promise<MpopResult>;
  dispose(): Promise<void>;
}

/** Writes a private config (0600) and UIDL file location. */
export async function prepareOnlyNewMpop(account: MpopAccount): Promise<OnlyNewMpop> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-e2e-mpop-'));
  const configFile = join(dir, 'mpoprc');
  const lines = [
    'defaults',
    'account bench',
    `host ${account.host}`,
    `port ${account.port}`,
    `user ${account.user}`,
    `password ${account.password}`,
    ...(account.caFile === undefined ? ['tls off', 'auth user'] : ['tls on', 'tls_starttls off', `tls_trust_file ${account.caFile}`, 'auth plain']),
    'pipelining on',
    'keep on',
    'only_new on',
    'received_header off',
    'timeout 300',
    `uidls_file ${join(dir, 'uidls')}`,
    'delivery mbox /dev/null',
    '',
  ];
  await writeFile(configFile, lines.join('\n'), { mode: 0o600 });
  return {
    run: () => spawnMpop(configFile),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}

function spawnMpop(configFile: string): Promise<MpopResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn('mpop', ['-C', configFile, '--quiet', '--only-new', '--keep', 'bench'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const watch = child.pid === undefined ? undefined : watchProcess(child.pid);
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', (error) => {
      watch?.stop();
      reject(new Error(`cannot run mpop: ${error.message}`));
    });
    child.on('exit', (code) => {
      const elapsedMs = performance.now() - started;
      const { peakRssKb, cpuMs } = watch?.stop() ?? { peakRssKb: 0, cpuMs: 0 };
      if (code === 0) resolve({ elapsedMs, peakRssKb, cpuMs });
      else reject(new Error(`mpop exited with ${String(code)}: ${stderr.trim().slice(0, 300)}`));
    });
  });
}
