/**
 * Interleaved repetitions on a noisy shared machine: untimed warm-up runs first (Dovecot's
 * index and the page cache warm up on the first session), then `reps` rounds with the order
 * rotated each round, so no contender always runs after the same neighbour. Reported as medians
 * and paired ratios (two runs of one round share the machine's load, which mostly cancels).
 */
import { fmt, median } from '../report.js';

export { pairedRatio } from '../report.js';

/** One timed run of one contender. */
export interface Sample {
  elapsedMs: number;
  /** User + system CPU, ms (whole process for process contenders). */
  cpuMs: number;
  peakRssKb: number;
}

/** Every repetition of one contender, in round order. */
export interface Series {
  elapsedMs: number[];
  cpuMs: number[];
  peakRssKb: number[];
}

/** How to run the rounds. */
export interface InterleaveOptions {
  reps: number;
  /** Untimed runs first (default true). */
  warmup?: boolean;
  /**
   * Which contenders warm up (default: all). The warm-up is for the server and the page cache,
   * which any full read warms; a two-minute contender need not pay for it twice.
   */
  warmupWith?: readonly string[];
  log: (line: string) => void;
}

/** Runs the rounds and returns each contender's series. */
export async function interleave<K extends string>(
  contenders: readonly K[],
  options: InterleaveOptions,
  runOnce: (who: K) => Promise<Sample>,
): Promise<Record<K, Series>> {
  const series = Object.fromEntries(contenders.map((c): [K, Series] => [c, { elapsedMs: [], cpuMs: [], peakRssKb: [] }])) as Record<K, Series>;
  if (options.warmup ?? true) {
    for (const who of contenders.filter((c) => options.warmupWith?.includes(c) ?? true)) {
      const r = await runOnce(who);
      options.log(`  warm-up ${who}: ${fmt(r.elapsedMs)} ms`);
    }
  }
  for (let rep = 0; rep < options.reps; rep += 1) {
    const order = contenders.map((_, i) => contenders[(i + rep) % contenders.length] as K);
    for (const who of order) {
      const r = await runOnce(who);
      series[who].elapsedMs.push(r.elapsedMs);
      series[who].cpuMs.push(r.cpuMs);
      series[who].peakRssKb.push(r.peakRssKb);
      options.log(`  rep ${rep + 1} ${who}: ${fmt(r.elapsedMs)} ms, CPU ${fmt(r.cpuMs)} ms, peak RSS ${fmt(r.peakRssKb / 1024)} MiB`);
    }
  }
  return series;
}

/** A series as stored in the results JSON: every figure plus its median. */
export function summarize(s: Series): Record<string, number | number[]> {
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    elapsedMs: s.elapsedMs.map(round),
    medianElapsedMs: round(median(s.elapsedMs)),
    cpuMs: s.cpuMs.map(round),
    medianCpuMs: round(median(s.cpuMs)),
    peakRssKb: s.peakRssKb,
    medianPeakRssKb: median(s.peakRssKb),
  };
}
