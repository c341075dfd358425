/**
 * The progress of a long poll: messages, percent, bytes, rate and time left. On a terminal one
 * self-overwriting line, redrawn at most every 250 ms; with --progress and no terminal (a log
 * file, a scheduler) one plain line every few seconds and one at the end. Otherwise nothing.
 */
import type { PollProgress } from '../sync/types.js';
import { formatBytes } from './output.js';

/** Options of {@link ProgressLine}. */
export interface ProgressLineOptions {
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Force the terminal line on/off; default: on when the stream is a TTY. */
  enabled?: boolean;
  /** --progress: without a terminal, print plain lines every `intervalMs`. */
  lines?: boolean;
  intervalMs?: number;
  /** Shown before the counters, e.g. the mailbox id. */
  label?: string;
  now?: () => number;
}

const REDRAW_MS = 250;
const LINES_INTERVAL_MS = 5_000;

/** A progress display on stderr. */
export class ProgressLine {
  /** True when the self-overwriting terminal line is drawn. */
  readonly enabled: boolean;
  private readonly lines: boolean;
  private readonly intervalMs: number;
  private readonly stream: NodeJS.WritableStream;
  private readonly label: string;
  private readonly now: () => number;
  private readonly startedAt: number;
  private lastDraw = 0;
  private visible = false;
  private finished = false;

  constructor(options: ProgressLineOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    const tty = (this.stream as NodeJS.WriteStream).isTTY === true;
    this.enabled = options.enabled ?? tty;
    this.lines = !this.enabled && options.lines === true;
    this.intervalMs = options.intervalMs ?? LINES_INTERVAL_MS;
    this.label = options.label ?? '';
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
    this.lastDraw = this.startedAt;
  }

  /** Feed from PollOptions.onProgress. */
  update(progress: PollProgress): void {
    if (!this.enabled && !this.lines) return;
    const t = this.now();
    const last = progress.messagesPlanned > 0 && progress.messagesDone >= progress.messagesPlanned;
    const text = formatProgress(progress, (t - this.startedAt) / 1000, this.label);
    if (this.enabled) {
      if (t - this.lastDraw < REDRAW_MS && !last) return;
      this.lastDraw = t;
      this.stream.write(`\r\x1b[2K${text}`);
      this.visible = true;
      return;
    }
    if (this.finished || (t - this.lastDraw < this.intervalMs && !last)) return;
    this.lastDraw = t;
    this.finished = last;
    this.stream.write(`progress: ${text}\n`);
  }

  /** Erase the terminal line (before a log line, and at the end). */
  clear(): void {
    if (!this.visible) return;
    this.stream.write('\r\x1b[2K');
    this.visible = false;
  }
}

/** The text of one progress line (pure, for tests). */
export function formatProgress(p: PollProgress, elapsedSeconds: number, label = ''): string {
  const rate = elapsedSeconds > 0 ? p.messagesDone / elapsedSeconds : 0;
  const byteRate = elapsedSeconds > 0 ? p.bytesDone / elapsedSeconds : 0;
  const percent = p.messagesPlanned > 0 ? Math.floor((100 * p.messagesDone) / p.messagesPlanned) : 100;
  const left = p.messagesPlanned - p.messagesDone;
  const eta = left <= 0 ? '' : rate > 0 ? `, ${formatDuration(left / rate)} left` : '';
  return (
    `${label ? `${label}: ` : ''}${p.messagesDone}/${p.messagesPlanned} messages (${percent}%), ${formatBytes(p.bytesDone)}` +
    ` (${rate.toFixed(rate < 10 ? 1 : 0)} msg/s, ${formatBytes(Math.round(byteRate))}/s${eta})`
  );
}

/** 42 s, 3m05s, 2h07m. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
