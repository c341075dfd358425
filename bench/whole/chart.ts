/**
 * The benchmark's chart as a hand-written SVG (no plotting dependency): one group of horizontal
 * bars per workload, each group scaled to its own largest value (units differ between groups),
 * ours / mpop / raw in fixed colours, every bar labelled with its figure.
 */
import { fmt } from '../report.js';
import type { ChartGroup } from './context.js';

const WIDTH = 820;
const LABEL_W = 170;
const BAR_MAX = 520;
const BAR_H = 18;
const GAP = 6;
const TITLE_H = 22;
const GROUP_GAP = 16;
const TOP = 44;

/** Colour by contender, from the bar label's first word. */
function colour(label: string): string {
  if (label.startsWith('ours')) return '#2b6cb0';
  if (label.startsWith('mpop')) return '#dd6b20';
  return '#718096';
}

/** XML-escapes text for an SVG text node or attribute. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The SVG document for `groups`, with `caption` (commit, machine, date) under the title. */
export function renderChart(groups: readonly ChartGroup[], caption: string): string {
  const parts: string[] = [];
  let y = TOP;
  for (const g of groups) {
    const better = g.lowerIsBetter ? 'lower is better' : 'higher is better';
    parts.push(`<text x="10" y="${y + 15}" class="group">${escapeXml(`${g.title} (${g.unit}, ${better})`)}</text>`);
    y += TITLE_H;
    const max = Math.max(...g.bars.map((b) => (Number.isFinite(b.value) ? b.value : 0)), Number.MIN_VALUE);
    for (const b of g.bars) {
      const value = Number.isFinite(b.value) ? b.value : 0;
      const w = Math.max(1, Math.round((value / max) * BAR_MAX));
      parts.push(
        `<text x="${LABEL_W - 8}" y="${y + 13}" class="label" text-anchor="end">${escapeXml(b.label)}</text>`,
        `<rect x="${LABEL_W}" y="${y}" width="${w}" height="${BAR_H}" fill="${colour(b.label)}"><title>${escapeXml(`${b.label}: ${fmt(value)} ${g.unit}`)}</title></rect>`,
        `<text x="${LABEL_W + w + 6}" y="${y + 13}" class="value">${escapeXml(`${fmt(value)} ${g.unit}`)}</text>`,
      );
      y += BAR_H + GAP;
    }
    y += GROUP_GAP;
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="pop3-ingest benchmark: ours vs mpop vs raw reader">`,
    '<style>text{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;fill:#1a202c}.title{font-size:16px;font-weight:600}.caption{font-size:11px;fill:#4a5568}.group{font-size:13px;font-weight:600}.label,.value{font-size:12px}</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    '<text x="10" y="20" class="title">pop3-ingest vs mpop vs a raw pipelined reader (whole processes, medians)</text>',
    `<text x="10" y="36" class="caption">${escapeXml(caption)}</text>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
