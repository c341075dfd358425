/**
 * What every section of the whole-process benchmark shares: the servers on loopback, the sizes
 * of this run, where it writes, and where it puts its figures (table rows, chart bars, targets).
 */
import type { DovecotServer } from '../../test/support/dovecot.js';
import type { S3Server } from '../../test/support/s3-server.js';
import type { EventBridgeServer } from './eventbridge-server.js';

/** The bench users; every one has PASSWORD. */
export const USERS = ['latency', 'throughput', 's3', 'mem1', 'membig', 'mempipe'] as const;
/** The bench password (a throwaway for a loopback Dovecot), passed to the CLI as $BENCH_PW. */
export const PASSWORD = 'bench-whole-pw 7';

/** Message counts and sizes of one run (full by default, tiny with --quick). */
export interface Sizes {
  latencyMessages: number;
  throughputMessages: number;
  s3Messages: number;
  messageBytes: number;
  s3MessageBytes: number;
  smallBytes: number;
  bigBytes: number;
  /** Messages of the pipeline-full run, each just under the in-memory threshold. */
  pipelineMessages: number;
  pipelineMessageBytes: number;
  /** One-way delay of the S3 / EventBridge proxy in the pipeline-full run (a slow store), ms. */
  pipelineDelayMs: number;
  /** One-way delay of the POP3 latency proxy, ms. */
  popDelayMs: number;
  /** One-way delay of the S3 / EventBridge proxy, ms. */
  awsDelayMs: number;
}

/** A target of issue 10, evaluated (or not, with the reason). */
export interface Target {
  name: string;
  /** The figure measured, as printed; empty when not measured. */
  figure: string;
  threshold: string;
  status: 'met' | 'not met' | 'not measured';
  note?: string;
}

/** One group of bars in the chart: one workload, every contender that ran it. */
export interface ChartGroup {
  title: string;
  unit: string;
  /** true for times and memory, false for rates. */
  lowerIsBetter: boolean;
  bars: Array<{ label: string; value: number }>;
}

/** The shared state of one run. */
export interface Bench {
  dovecot: DovecotServer;
  s3: S3Server;
  eventBridge: EventBridgeServer;
  /** Scratch folder for CLI output, maildirs and configs (deleted at the end). */
  work: string;
  sizes: Sizes;
  reps: number;
  warmup: boolean;
  log: (line: string) => void;
  /** The main table: [workload, ours, mpop, raw, ratio, note]. */
  rows: string[][];
  /** Secondary table: the engine alone, in-process, no store. */
  engineRows: string[][];
  targets: Target[];
  chart: ChartGroup[];
  results: Record<string, unknown>;
  /** --cpu-prof: the CLI runs of the latency, throughput and idle sections write V8 CPU profiles under here, one folder per section. */
  cliCpuProfDir?: string;
  /** The CLI's output folder of the last throughput run: its state is the idle poll's start. */
  primedIdleOut?: string;
}

/** `measured <= limit` (or `>=`) as a target with both sides printed. */
export function judge(name: string, measured: number, comparison: '<=' | '>=', limit: number, unit: string, fmt: (n: number) => string, note?: string): Target {
  const met = comparison === '<=' ? measured <= limit : measured >= limit;
  return {
    name,
    figure: `${fmt(measured)}${unit}`,
    threshold: `${comparison} ${fmt(limit)}${unit}`,
    status: Number.isFinite(measured) && met ? 'met' : 'not met',
    ...(note === undefined ? {} : { note }),
  };
}
