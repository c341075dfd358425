/**
 * Figures in, verdicts out: medians of interleaved repetitions, ratios against the other
 * contenders (ratios survive a noisy shared machine better than absolute times), the targets
 * from the issue with PASS/FAIL, and the printed table.
 */

/** The median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Median of the per-round ratios a[i] / b[i]. Both ran back to back in the same round, so a
 * burst of load on the shared machine hits the pair and mostly cancels in their ratio.
 */
export function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((x, i) => x / (b[i] as number)));
}

/** One target from the issue, evaluated. */
export interface TargetVerdict {
  name: string;
  /** The figure compared, as printed (e.g. "0.62x mpop"). */
  figure: string;
  /** The threshold, as printed (e.g. "<= 1.00x"). */
  threshold: string;
  pass: boolean;
}

/** `measured <= limit` (or `>=`) as a verdict with both sides printed. */
export function verdict(name: string, measured: number, comparison: '<=' | '>=', limit: number, unit: string): TargetVerdict {
  const pass = comparison === '<=' ? measured <= limit : measured >= limit;
  return { name, figure: `${fmt(measured)}${unit}`, threshold: `${comparison} ${fmt(limit)}${unit}`, pass };
}

/** A number printed with 3 significant digits at most, no exponent. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** A plain-text table: first row is the header; columns padded to their widest cell. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => { widths[i] = Math.max(widths[i] ?? 0, cell.length); });
  const line = (row: readonly string[]) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  const [head, ...body] = rows;
  if (!head) return '';
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}
