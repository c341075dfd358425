#!/usr/bin/env node
/**
 * Bundles the CLI (lambda/cli/entry.ts) into dist/bundle/cli/: entry.mjs, what every poll runs,
 * and chunks/ for what is imported lazily (commands other than the one run, the AWS SDK, the
 * MIME parser). dist/lambda/cli/main.js (the bin) starts it; see lambda/cli/main.ts. Run by
 * `npm run build` after tsc, so the bundle is never older than the compiled modules.
 *
 * The esbuild options are the handler's (infra/handler-bundle.json: the banner giving CommonJS
 * dependencies require/__filename/__dirname) except: no alias (a CLI user's credentials come from
 * the SDK's default chain: profiles, SSO) and identifiers kept, so a stack trace stays readable.
 *
 * Usage: node scripts/bundle-cli.mjs [--outdir DIR]
 */
import process from 'node:process';
import { rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import handler from '../infra/handler-bundle.json' with { type: 'json' };

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const i = process.argv.indexOf('--outdir');
const outdir = i > 0 ? resolve(process.argv[i + 1] ?? '') : join(root, 'dist', 'bundle', 'cli');
// A stale chunk of an earlier build would ship beside the new ones.
rmSync(outdir, { recursive: true, force: true });

const { alias: _alias, minify: _minify, ...options } = handler.options;
await build({
  ...options,
  minifyWhitespace: true,
  minifySyntax: true,
  absWorkingDir: root,
  entryPoints: { entry: 'lambda/cli/entry.ts' },
  outdir,
  logLevel: 'warning',
});
