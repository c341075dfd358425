#!/usr/bin/env node
/**
 * Bundles the Lambda handler (lambda/handler/index.ts) into dist/bundle/: handler.mjs, the
 * chunks it imports (chunks/), and their source maps, with infra/handler-bundle.json: the same
 * configuration the CDK construct uses, so what this measures is what deploys. Prints the size a
 * cold start reads (the handler and the chunks it imports statically), the size of the lazily
 * imported chunks (the MIME parser, loaded only for a mailbox with parse), and the time a cold
 * `import()` takes on this machine (median of fresh processes), with and without
 * --enable-source-maps.
 *
 * Usage: node scripts/bundle.mjs [--outdir DIR | --outfile DIR/handler.mjs] [--no-measure] [--runs N]
 */
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { existsSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import config from '../infra/handler-bundle.json' with { type: 'json' };

/** One line on stdout. */
const print = (line) => process.stdout.write(`${line}\n`);
const flag = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = flag('--outdir') ? resolve(flag('--outdir') ?? '') : flag('--outfile') ? dirname(resolve(flag('--outfile') ?? '')) : join(root, 'dist', 'bundle');
const outfile = join(outdir, config.outfile);
// A stale chunk of an earlier build would ship beside the new ones.
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });

const entryName = config.outfile.replace(/\.mjs$/, '');
const result = await build({ ...config.options, absWorkingDir: root, entryPoints: { [entryName]: config.entry }, outdir, metafile: true, logLevel: 'warning' });

// What a cold start reads: the entry and, transitively, every chunk it imports statically.
const outputs = result.metafile.outputs;
const byPath = new Map(Object.entries(outputs).map(([path, o]) => [resolve(root, path), o]));
const eager = new Set([outfile]);
for (const path of eager) {
  for (const imported of byPath.get(path)?.imports ?? []) {
    if (imported.kind === 'import-statement' && !imported.external) eager.add(resolve(root, imported.path));
  }
}
const code = [...byPath.keys()].filter((p) => p.endsWith('.mjs'));
const kib = (paths) => (paths.reduce((n, p) => n + statSync(p).size, 0) / 1024).toFixed(1);
const lazy = code.filter((p) => !eager.has(p));
print(`bundle: ${relative(root, outdir)}/ read at cold start ${kib([...eager])} KiB (${config.outfile} ${kib([outfile])} KiB + ${eager.size - 1} chunk(s)); imported lazily ${kib(lazy)} KiB in ${lazy.length} chunk(s); source maps ${kib(code.map((p) => `${p}.map`).filter((p) => existsSync(p)))} KiB, shipped only with sourceMaps`);
print(`inputs: ${Object.keys(result.metafile.inputs).length} modules`);

if (!process.argv.includes('--no-measure')) {
  const runs = Number(flag('--runs') ?? 7);
  // A fresh process per run, so every import is cold; the two settings interleaved.
  const probe = `const t=performance.now(); await import(${JSON.stringify(outfile)}); process.stdout.write(String(performance.now()-t));`;
  const env = { ...process.env, AWS_REGION: process.env.AWS_REGION ?? 'us-east-1' };
  const times = { plain: [], 'enable-source-maps': [] };
  for (let i = 0; i < runs; i += 1) {
    for (const [name, flags] of [['plain', []], ['enable-source-maps', ['--enable-source-maps']]]) {
      // stderr ignored: the SDK warns about Node 20's support window on every import.
      times[name].push(Number(execFileSync(process.execPath, [...flags, '--input-type=module', '-e', probe], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })));
    }
  }
  for (const [name, list] of Object.entries(times)) {
    list.sort((a, b) => a - b);
    const median = list[Math.floor(list.length / 2)] ?? Number.NaN;
    print(`import time, ${name} (cold, median of ${list.length}, Node ${process.versions.node}): ${median.toFixed(1)} ms [${list.map((r) => r.toFixed(0)).join(', ')}]`);
  }
}
