/**
 * Prints where a contender spent its CPU: the top self-time functions of V8 .cpuprofile files
 * (written by `npm run bench:engine -- --cpu-prof` into .bench/profiles/, or `npm run bench -- --cpu-prof` for the CLI), merged.
 *
 *   npx tsx bench/profile-summary.ts .bench/profiles/*.cpuprofile [--top 25] [--by function|file|package]
 *
 * `--by package` folds samples per npm package, Node internals and our own top folders
 * (dist/lambda/pop3, ...): where a start-up's time goes at a glance.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
}

/**
 * Share of the busy samples per function (self), heaviest first, over one or more profiles.
 * Samples are counted, not weighted by their time deltas: on a loaded machine a delta also
 * holds the time the process was descheduled, which would be blamed on whatever ran last.
 * `(idle)` and `(program)` are left out of the busy total.
 */
export function selfShares(profiles: readonly CpuProfile[], by: Grouping = 'function'): Array<{ where: string; samples: number; share: number }> {
  const counts = new Map<string, number>();
  let busy = 0;
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    for (const id of profile.samples ?? []) {
      const node = byId.get(id);
      if (!node || node.callFrame.functionName === '(idle)' || node.callFrame.functionName === '(program)') continue;
      const key = by === 'function' ? label(node) : group(node, by);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      busy += 1;
    }
  }
  return [...counts.entries()]
    .map(([where, samples]) => ({ where, samples, share: busy === 0 ? 0 : samples / busy }))
    .sort((a, b) => b.samples - a.samples);
}

/** How samples are folded: per function (with file:line), per file or per package. */
export type Grouping = 'function' | 'file' | 'package';

function group(node: ProfileNode, by: 'file' | 'package'): string {
  const { url, functionName } = node.callFrame;
  if (url === '') return functionName || '(anonymous)';
  if (!url.startsWith('file://')) return by === 'package' ? url.split('/')[0] ?? url : url;
  const file = relative(fileURLToPath(new URL('..', import.meta.url)), fileURLToPath(url));
  if (by === 'file') return file;
  const modules = file.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const [scope, name] = file.slice(modules + 'node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name ?? ''}` : (scope ?? file);
  }
  return file.split('/').slice(0, 3).join('/');
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const root = fileURLToPath(new URL('..', import.meta.url));
  const file = url.startsWith('file://') ? relative(root, fileURLToPath(url)) : url;
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, by: { type: 'string', default: 'function' } },
  });
  if (!['function', 'file', 'package'].includes(values.by)) throw new Error('--by must be function, file or package');
  const profiles = positionals.map((file) => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  process.stdout.write('share of busy samples (self), idle excluded\n');
  for (const { where, samples, share } of selfShares(profiles, values.by as Grouping).slice(0, Number(values.top))) {
    process.stdout.write(`${(share * 100).toFixed(1).padStart(5)}%  ${String(samples).padStart(6)}  ${where}\n`);
  }
}
