/**
 * A results file of `npm run bench` as Markdown, for the README and docs/benchmarks.md, so the
 * tables there are pasted from one run instead of retyped:
 *
 *   npx tsx bench/whole/markdown.ts [bench/results/whole-latest.json]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Target } from './context.js';

/** The parts of the results JSON this reads. */
export interface WholeResults {
  finishedAt: string;
  environment: { git: string; node: string; mpop: string; cpus: string; loadAverageAtStart: number[]; loadAverageAtEnd: number[]; workFilesystem: string };
  settings: { repetitions: number };
  table: string[][];
  engineTable: string[][];
  targets: Target[];
}

/** Markdown: the run's provenance, the main table, the targets, the engine-only table. */
export function toMarkdown(r: WholeResults): string {
  const e = r.environment;
  const lines = [
    `Run of ${r.finishedAt.slice(0, 16).replace('T', ' ')} UTC, commit ${e.git}, ${e.cpus}, Node ${e.node}, ${e.mpop}, `
      + `median of ${r.settings.repetitions} interleaved rounds, load average ${e.loadAverageAtStart[0] ?? '?'} at start and ${e.loadAverageAtEnd[0] ?? '?'} at end, work folder on ${e.workFilesystem}.`,
    '',
    ...mdTable(r.table),
    '',
    '| target (issue 10) | figure | threshold | verdict |',
    '| --- | --- | --- | --- |',
    ...r.targets.map((t) => `| ${cell(t.name)} | ${cell(t.figure || '-')}${t.note ? ` (${cell(t.note)})` : ''} | ${cell(t.threshold)} | ${t.status === 'met' ? 'met' : `**${t.status}**`} |`),
    '',
    'Engine only (a component: in-process, bytes discarded, start-up excluded):',
    '',
    ...mdTable(r.engineTable),
  ];
  return `${lines.join('\n')}\n`;
}

function mdTable(rows: readonly (readonly string[])[]): string[] {
  const [head, ...body] = rows;
  if (!head) return [];
  return [`| ${head.map(cell).join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((row) => `| ${row.map((c) => cell(c.replace(/^ {2}/, '&nbsp;&nbsp;'))).join(' | ')} |`)];
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const file = process.argv[2] ?? fileURLToPath(new URL('../results/whole-latest.json', import.meta.url));
  process.stdout.write(toMarkdown(JSON.parse(readFileSync(file, 'utf8')) as WholeResults));
}
