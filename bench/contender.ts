/**
 * Child-process entry point for the Node contenders (ours and the raw reader): one fresh
 * process per run, like mpop, so no contender inherits another's heap, JIT state or the
 * proxy's event loop. Reads one JSON spec from the environment, prints one JSON result line on
 * stdout. contender-runner.ts bundles it to .bench/contender.mjs and runs it on bare Node:
 *
 *   POP3_BENCH_SPEC='{"kind":"ours-all",...}' node .bench/contender.mjs
 */
import { readVmHwmKb } from './proc-watch.js';
import { rawFetchAll } from './raw-reader.js';
import { loadEngine, oursFetchAll, oursHashFirst, type Engine } from './ours.js';
import { SPEC_ENV, type ContenderResult, type ContenderSpec } from './contender-spec.js';

async function main(): Promise<void> {
  const spec = JSON.parse(process.env[SPEC_ENV] ?? '') as ContenderSpec;
  // Module loading stays outside the figures: mpop's binary is loaded before it runs, too.
  const engine = spec.kind === 'raw-all' ? undefined : await loadEngine(spec.engine);
  const cpuBefore = process.cpuUsage();
  let run: { messages: number; bytes: number; elapsedMs: number; sha256?: string };
  switch (spec.kind) {
    case 'ours-all':
      run = await oursFetchAll(engine as Engine, spec.target);
      break;
    case 'raw-all':
      run = await rawFetchAll({ ...spec.target, window: spec.window, lowWater: spec.lowWater });
      break;
    case 'ours-hash-first':
      run = await oursHashFirst(engine as Engine, spec.target);
      break;
  }
  const cpu = process.cpuUsage(cpuBefore);
  const result: ContenderResult = {
    messages: run.messages,
    bytes: run.bytes,
    elapsedMs: run.elapsedMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    peakRssKb: readVmHwmKb() ?? 0,
    ...(run.sha256 === undefined ? {} : { sha256: run.sha256 }),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
