/**
 * Parser comparison and the memory figure of issue 14: each contender parses the same message
 * in its own process (peak RSS growth = VmHWM after - VmRSS before; MB/s over the whole
 * extraction, attachments written to a temp folder). Component figures: parsing only, no POP3.
 *
 * usage: npx tsx bench/parse/run.ts [sizeMiB=100] [contenders=ours,mailparser,postal-mime] [attachment|text]
 * Prints a table; exits 1 when ours grows more than 64 MiB or a contender returns a wrong hash.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeMessage, type MessageShape } from './make-message.js';

const MEMORY_TARGET_KB = 64 * 1024;

const sizeMiB = Number(process.argv[2] ?? 100);
const names = (process.argv[3] ?? 'ours,mailparser,postal-mime').split(',');
const shape = (process.argv[4] ?? 'attachment') as MessageShape;
const dir = await mkdtemp(join(tmpdir(), 'pop3-ingest-bench-msg-'));
const file = join(dir, 'message.eml');
let failed = false;
try {
  const made = await makeMessage(file, sizeMiB * 1024 * 1024, shape);
  console.log(
    shape === 'text'
      ? `message: ${(made.size / 1048576).toFixed(1)} MiB, one text/plain body of that size, no attachment`
      : `message: ${(made.size / 1048576).toFixed(1)} MiB, one base64 attachment of ${(made.attachmentSize / 1048576).toFixed(1)} MiB decoded`,
  );
  console.log(`contender     peak RSS growth   RSS before     time      MB/s   ${shape === 'text' ? 'result' : 'attachment'}`);
  const contender = fileURLToPath(new URL('./contender.ts', import.meta.url));
  for (const name of names) {
    let line: string;
    try {
      line = execFileSync(process.execPath, ['--expose-gc', '--max-old-space-size=4096', '--import', 'tsx', contender, name, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    } catch (e) {
      console.log(`${name.padEnd(13)} crashed: ${(e as Error).message.split('\n')[0]}`);
      failed ||= name === 'ours';
      continue;
    }
    const r = JSON.parse(line.split('\n').pop()!) as { growthKb: number; beforeKb: number; ms: number; mbPerS: number; hashes: string[]; error?: string };
    const ok = shape === 'text' ? r.hashes.length === 0 : r.hashes.length === 1 && r.hashes[0] === made.attachmentSha256;
    console.log(
      `${name.padEnd(13)} ${(r.growthKb / 1024).toFixed(1).padStart(9)} MiB ${(r.beforeKb / 1024).toFixed(1).padStart(8)} MiB ${(r.ms / 1000).toFixed(2).padStart(7)} s ${String(r.mbPerS).padStart(8)}   ${r.error ? `error: ${r.error}` : ok ? (shape === 'text' ? 'ok' : 'sha256 ok') : 'WRONG'}`,
    );
    if (name === 'ours') failed ||= !ok || r.growthKb > MEMORY_TARGET_KB;
    else failed ||= !r.error && !ok;
  }
  console.log(`target: ours <= ${MEMORY_TARGET_KB / 1024} MiB peak RSS growth`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
