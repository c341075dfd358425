#!/usr/bin/env node
/**
 * `pop3-ingest` (package.json "bin"): starts the CLI (entry.ts) from the one-file bundle that
 * `npm run build` writes to dist/bundle/cli/ when it is there and not older than this file,
 * else from the compiled modules beside it. Resolving, reading and compiling a hundred modules
 * was most of an idle poll's time above Node's own start; the bundle is one file for a poll
 * (the AWS SDK, the parser and the rarely used commands stay in lazily imported chunks).
 * The age check keeps a bare `tsc` (without the bundle step) from running an old bundle.
 */
import { statSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

// Node 22.1+: V8's code cache on disk, so later starts skip compiling. Absent on Node 20.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();

const bundle = new URL('../../bundle/cli/entry.mjs', import.meta.url);
await import(isFresh(bundle) ? bundle.href : './entry.js');

/** The bundle exists and was written after this file was compiled. */
function isFresh(file: URL): boolean {
  try {
    return statSync(file).mtimeMs >= statSync(fileURLToPath(import.meta.url)).mtimeMs;
  } catch {
    return false;
  }
}
