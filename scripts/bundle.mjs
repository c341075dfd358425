#!/usr/bin/env node
/**
 * Bundles the Lambda handler (lambda/handler/index.ts) into one ESM file, dist/bundle/handler.mjs
 * (plus its source map), with infra/handler-bundle.json: the same configuration the CDK
 * construct uses, so what this measures is what deploys. Prints the bundle size and the time a
 * cold `import()` of it takes on this machine (median of fresh processes), with and without
 * --enable-source-maps.
 *
 * Usage: node scripts/bundle.mjs [--outfile PATH] [--no-measure] [--runs N]
 */
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { statSync } from 'node:fs';
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
const outfile = flag('--outfile') ? resolve(flag('--outfile') ?? '') : join(root, 'dist', 'bundle', config.outfile);

const result = await build({ ...config.options, absWorkingDir: root, entryPoints: [config.entry], outfile, metafile: true, logLevel: 'warning' });

const bytes = statSync(outfile).size;
const mapBytes = statSync(`${outfile}.map`).size;
print(`bundle: ${relative(root, outfile)} ${(bytes / 1024).toFixed(1)} KiB (source map ${(mapBytes / 1024).toFixed(1)} KiB, shipped only with sourceMaps)`);
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
