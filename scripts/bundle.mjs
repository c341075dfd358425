#!/usr/bin/env node
/**
 * Bundles the Lambda handler (lambda/handler/index.ts) into one ESM file, dist/bundle/handler.mjs:
 * minified, platform node, target node22, with a source map and the AWS SDK bundled (a pinned,
 * tested SDK instead of whatever the runtime ships). Prints the bundle size and the time a cold
 * `import()` of the bundle takes on this machine.
 *
 * Usage: node scripts/bundle.mjs [--outfile PATH] [--no-measure]
 */
import { execFileSync } from 'node:child_process';
import process from 'node:process';
import { statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/** One line on stdout. */
const print = (line) => process.stdout.write(`${line}\n`);

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfileFlag = process.argv.indexOf('--outfile');
const outfile = outfileFlag > 0 ? resolve(process.argv[outfileFlag + 1] ?? '') : join(root, 'dist', 'bundle', 'handler.mjs');

// Some CommonJS dependencies inside the SDK call require(), __filename or __dirname, which an
// ES module does not have: the usual banner recreates them.
const banner = [
  "import { createRequire as __pop3CreateRequire } from 'node:module';",
  "import { fileURLToPath as __pop3FileURLToPath } from 'node:url';",
  "import { dirname as __pop3Dirname } from 'node:path';",
  'const require = __pop3CreateRequire(import.meta.url);',
  'const __filename = __pop3FileURLToPath(import.meta.url);',
  'const __dirname = __pop3Dirname(__filename);',
].join('\n');

const result = await build({
  entryPoints: [join(root, 'lambda', 'handler', 'index.ts')],
  outfile,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  minify: true,
  sourcemap: true,
  // Keep class names: errors are told apart by `name` in logs.
  keepNames: true,
  mainFields: ['module', 'main'],
  banner: { js: banner },
  legalComments: 'none',
  metafile: true,
  logLevel: 'warning',
});

const bytes = statSync(outfile).size;
const mapBytes = statSync(`${outfile}.map`).size;
print(`bundle: ${relative(root, outfile)} ${(bytes / 1024).toFixed(1)} KiB (source map ${(mapBytes / 1024).toFixed(1)} KiB)`);
const inputs = Object.keys(result.metafile.inputs).length;
print(`inputs: ${inputs} modules`);

if (!process.argv.includes('--no-measure')) {
  // A fresh process per run, so every import is cold; the median of five runs.
  const probe = `const t=performance.now(); await import(${JSON.stringify(outfile)}); process.stdout.write(String(performance.now()-t));`;
  const env = { ...process.env, AWS_REGION: process.env.AWS_REGION ?? 'us-east-1' };
  const runs = [];
  for (let i = 0; i < 5; i += 1) {
    // stderr ignored: the SDK warns about Node 20's support window on every import.
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', probe], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    runs.push(Number(out));
  }
  runs.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)] ?? Number.NaN;
  print(`import time (cold, median of ${runs.length}, Node ${process.versions.node}): ${median.toFixed(1)} ms [${runs.map((r) => r.toFixed(0)).join(', ')}]`);
}
