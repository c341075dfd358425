/**
 * The spawning side of a contender: bundles bench/contender.ts once, then runs it in a fresh
 * Node process per run and parses its one JSON result line.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { SPEC_ENV, type ContenderResult, type ContenderSpec } from './contender-spec.js';

/** Options for one child run. */
export interface ChildOptions {
  /** Write a V8 CPU profile (node --cpu-prof) into this folder. */
  cpuProfDir?: string;
  timeoutMs?: number;
}

const CONTENDER_SOURCE = fileURLToPath(new URL('./contender.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The child, bundled to plain JS (in the git-ignored .bench/) so it runs on bare Node. */
const CONTENDER_BUNDLE = fileURLToPath(new URL('../.bench/contender.mjs', import.meta.url));

let bundled: Promise<string> | undefined;

/**
 * Bundles bench/contender.ts once per run. Children then start on bare Node: no TypeScript
 * loader in their memory figure or start-up. The engine itself is not bundled: ours.ts
 * imports the compiled dist/ at run time, the code that ships.
 */
export function bundleContender(): Promise<string> {
  bundled ??= build({
    entryPoints: [CONTENDER_SOURCE],
    outfile: CONTENDER_BUNDLE,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    packages: 'external',
    logLevel: 'error',
  }).then(() => CONTENDER_BUNDLE);
  return bundled;
}

/** Runs one contender in a fresh Node process and returns its result line. */
export async function runContender(spec: ContenderSpec, options: ChildOptions = {}): Promise<ContenderResult> {
  const args: string[] = [];
  if (options.cpuProfDir !== undefined) args.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`);
  args.push(await bundleContender());
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT, // ours.ts finds dist/ from here
      // In the environment, not argv: the spec holds the (test) password, argv is world-readable.
      env: { ...process.env, [SPEC_ENV]: JSON.stringify(spec) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { err += chunk.toString(); });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      if (code === 0 && line.startsWith('{')) resolve(JSON.parse(line) as ContenderResult);
      else reject(new Error(`${spec.kind} failed (code ${String(code)}, signal ${String(signal)}): ${err.trim().slice(0, 2000)}`));
    });
  });
}
