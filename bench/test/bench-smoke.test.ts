import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench still runs end to end (tiny sizes)', () => {
  it('measures every contender in every section and writes the JSON report', async () => {
    // Prepare
    const out = join(dir, 'latest.json');
    const args = ['tsx', 'bench/run.ts', '--reps', '1', '--latency-messages', '30', '--throughput-messages', '60',
      '--big-mb', '2', '--out', out];

    // Act: a missed target exits 1 on a loaded machine; the report is what this test checks.
    await run('npx', args, { cwd: REPO, timeout: 170_000 }).catch((error: { code?: number }) => {
      if (error.code !== 1) throw error;
    });

    // Assess
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      command: string;
      results: Record<string, Record<string, { elapsedMs?: number[]; maxInFlight?: number[] }>>;
      targets: Array<{ name: string; pass: boolean }>;
    };
    expect(report.command).toContain('bench/run.ts');
    for (const who of ['ours', 'mpop', 'raw'] as const) {
      expect(report.results.latency?.[who]?.elapsedMs).toHaveLength(1);
      expect(report.results.throughput?.[who]?.elapsedMs).toHaveLength(1);
      expect(report.results.latency?.[who]?.maxInFlight?.[0]).toBeGreaterThan(1);
    }
    expect(report.results.memory?.oursBigMessage?.elapsedMs).toHaveLength(1);
    expect(report.targets.map((t) => t.name)).toHaveLength(4);
  }, 180_000);
});
