import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'bench-smoke-'));

/** Exit codes of the benchmarks: 0 all targets met, 2 a target missed, 1 (or a signal) the bench broke. */
const RAN = [0, 2];

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npx tsx <args>` in the repository; resolves whatever the exit code. */
function runTsx(args: readonly string[], timeout: number): Promise<Outcome> {
  return new Promise((resolve) => {
    execFile('npx', ['tsx', ...args], { cwd: REPO, timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(() => {
  // The whole-process bench spawns the compiled CLI, as users run it.
  if (!existsSync(join(REPO, 'dist', 'lambda', 'cli', 'main.js'))) throw new Error('run `npm run build` first: the bench spawns dist/lambda/cli/main.js');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run bench still runs end to end (quick mode)', () => {
  it('measures ours, mpop and raw in every section, prints every target and writes the JSON and the chart', async () => {
    // Prepare
    const out = join(dir, 'whole.json');
    const chart = join(dir, 'whole.svg');

    // Act
    const r = await runTsx(['bench/whole/run.ts', '--quick', '--out', out, '--chart', chart], 280_000);

    // Assess: a missed target (exit 2) is a figure; a crash or a short count (exit 1) fails here.
    expect(RAN, `bench exited ${String(r.code)}:\n${r.stderr.slice(-3000)}`).toContain(r.code);
    const report = JSON.parse(readFileSync(out, 'utf8')) as {
      results: Record<string, Record<string, { elapsedMs?: number[]; peakRssKb?: number[] }>>;
      targets: Array<{ name: string; status: string }>;
    };
    for (const section of ['latency', 'throughput'] as const) {
      for (const who of ['ours', 'mpop', 'raw', 'engine'] as const) expect(report.results[section]?.[who]?.elapsedMs).toHaveLength(1);
    }
    expect(report.results.aws?.delayed?.elapsedMs).toHaveLength(1);
    expect(report.results.idle?.mpop?.elapsedMs?.length).toBeGreaterThanOrEqual(5);
    expect(report.results.memory?.['s3 big']?.peakRssKb?.[0]).toBeGreaterThan(0);
    expect(report.results.pipelineMemory?.full?.peakRssKb?.[0]).toBeGreaterThan(0);
    expect(report.results.pipelineMemory?.idle?.peakRssKb?.[0]).toBeGreaterThan(0);
    // Every target of issue 10, each with a verdict.
    expect(report.targets).toHaveLength(10);
    for (const t of report.targets) expect(['met', 'not met', 'not measured']).toContain(t.status);
    expect(r.stdout).toContain('Targets of issue 10');
    const svg = readFileSync(chart, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('mpop');
    expect(svg).toContain('raw reader');
  }, 300_000);

  it('exits 1, not 2, when the benchmark itself fails', async () => {
    const r = await runTsx(['bench/whole/run.ts', '--quick', '--only', 'no-such-section', '--out', join(dir, 'x.json'), '--chart', join(dir, 'x.svg')], 60_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown section');
  }, 60_000);
});

describe('npm run bench:engine still runs end to end (tiny sizes)', () => {
  it('measures every contender in every section and writes the JSON report', async () => {
    // Prepare
    const out = join(dir, 'latest.json');
    const args = ['bench/run.ts', '--reps', '1', '--latency-messages', '30', '--throughput-messages', '60', '--big-mb', '2', '--out', out];

    // Act
    const r = await runTsx(args, 170_000);

    // Assess
    expect(RAN, `bench:engine exited ${String(r.code)}:\n${r.stderr.slice(-3000)}`).toContain(r.code);
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
