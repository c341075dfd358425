/**
 * Prints where a contender spent its CPU: the top self-time functions of V8 .cpuprofile files
 * (written by `npm run bench -- --cpu-prof` into .bench/profiles/), merged.
 *
 *   npx tsx bench/profile-summary.ts .bench/profiles/*.cpuprofile [--top 25]
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
export function selfShares(profiles: readonly CpuProfile[]): Array<{ where: string; samples: number; share: number }> {
  const counts = new Map<string, number>();
  let busy = 0;
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    for (const id of profile.samples ?? []) {
      const node = byId.get(id);
      if (!node || node.callFrame.functionName === '(idle)' || node.callFrame.functionName === '(program)') continue;
      const key = label(node);
      counts.set(key, (counts.get(key) ?? 0) + 1);
      busy += 1;
    }
  }
  return [...counts.entries()]
    .map(([where, samples]) => ({ where, samples, share: busy === 0 ? 0 : samples / busy }))
    .sort((a, b) => b.samples - a.samples);
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const root = fileURLToPath(new URL('..', import.meta.url));
  const file = url.startsWith('file://') ? relative(root, fileURLToPath(url)) : url;
  return `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  const profiles = positionals.map((file) => JSON.parse(readFileSync(file, 'utf8')) as CpuProfile);
  process.stdout.write('share of busy samples (self), idle excluded\n');
  for (const { where, samples, share } of selfShares(profiles).slice(0, Number(values.top))) {
    process.stdout.write(`${(share * 100).toFixed(1).padStart(5)}%  ${String(samples).padStart(6)}  ${where}\n`);
  }
}
