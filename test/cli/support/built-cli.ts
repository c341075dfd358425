/**
 * The CLI as users run it: compiled JavaScript started as a child process.
 *
 * Each test file builds the project as `npm run build` / `prepare` does (tsc with
 * tsconfig.build.json, then scripts/bundle-cli.mjs, the bundle the bin starts) into its OWN
 * temporary folder, so test files running in parallel never read
 * a half-written dist/ of another. The folder gets a copy of package.json ("type": "module",
 * the version) and a symlink to node_modules, which makes it resolve like the installed package.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The repository root. */
export const REPO = resolve(import.meta.dirname, '../../..');

/** The outcome of one CLI run. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of one CLI run. */
export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Kill the child after this long (a hung CLI must fail the test, not the suite). */
  timeoutMs?: number;
}

/** A compiled CLI in a private folder. */
export interface BuiltCli {
  /** The compiled entry point, <dir>/dist/lambda/cli/main.js (package.json "bin"); it starts <dir>/dist/bundle/cli/entry.mjs. */
  mainJs: string;
  dir: string;
  run(args: readonly string[], options?: RunOptions): Promise<CliResult>;
  /** Starts the CLI without waiting; the caller ends it (stop()). */
  spawn(args: readonly string[], options?: RunOptions): ChildProcess;
  remove(): void;
}

/** Compiles the project into a fresh temporary folder. Takes a while: use a long beforeAll timeout. */
export async function buildCli(): Promise<BuiltCli> {
  const dir = mkdtempSync(join(tmpdir(), 'pop3-ingest-cli-'));
  copyFileSync(join(REPO, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = await runProcess(process.execPath, [tsc, '-p', join(REPO, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')], {
    cwd: REPO,
    timeoutMs: 180_000,
  });
  const mainJs = join(dir, 'dist', 'lambda', 'cli', 'main.js');
  if (!existsSync(mainJs)) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`tsc did not produce ${mainJs} (exit ${build.code}):\n${build.stdout}${build.stderr}`);
  }
  if (build.code !== 0) {
    // tsc still emits when another module has a type error; `npm test` typechecks separately.
    process.stderr.write(`warning: tsc -p tsconfig.build.json reported errors (exit ${build.code}):\n${build.stdout.slice(0, 4000)}\n`);
  }
  const bundle = await runProcess(process.execPath, [join(REPO, 'scripts', 'bundle-cli.mjs'), '--outdir', join(dir, 'dist', 'bundle', 'cli')], {
    cwd: REPO,
    timeoutMs: 120_000,
  });
  if (bundle.code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`scripts/bundle-cli.mjs failed (exit ${bundle.code}):\n${bundle.stdout}${bundle.stderr}`);
  }
  const envFor = (options: RunOptions): NodeJS.ProcessEnv => {
    // A clean, predictable environment: no AWS settings leak in from the developer's shell.
    const base: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8' };
    for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) base[k] = v;
    return base;
  };
  return {
    mainJs,
    dir,
    run: (args, options = {}) =>
      runProcess(process.execPath, [mainJs, ...args], { cwd: options.cwd ?? dir, env: envFor(options), timeoutMs: options.timeoutMs ?? 60_000 }),
    spawn: (args, options = {}) =>
      spawn(process.execPath, [mainJs, ...args], { cwd: options.cwd ?? dir, env: envFor(options), stdio: ['ignore', 'pipe', 'pipe'] }),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Runs a process to completion, collecting its output. */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<CliResult> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, [...args], { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr });
    });
  });
}
