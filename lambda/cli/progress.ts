/**
 * The progress line of a long poll: messages, bytes, messages/s. Drawn only when stderr is a
 * terminal (a pipe or a log file gets nothing), redrawn at most every 250 ms.
 */
import type { PollProgress } from '../sync/types.js';
import { formatBytes } from './output.js';

/** Options of {@link ProgressLine}. */
export interface ProgressLineOptions {
  stream?: NodeJS.WriteStream | NodeJS.WritableStream;
  /** Force on/off; default: on when the stream is a TTY. */
  enabled?: boolean;
  /** Shown before the counters, e.g. the mailbox id. */
  label?: string;
  now?: () => number;
}

/** A single self-overwriting status line on stderr. */
export class ProgressLine {
  readonly enabled: boolean;
  private readonly stream: NodeJS.WritableStream;
  private readonly label: string;
  private readonly now: () => number;
  private readonly startedAt: number;
  private lastDraw = 0;
  private visible = false;

  constructor(options: ProgressLineOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.enabled = options.enabled ?? (this.stream as NodeJS.WriteStream).isTTY === true;
    this.label = options.label ?? '';
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
  }

  /** Feed from PollOptions.onProgress. */
  update(progress: PollProgress): void {
    if (!this.enabled) return;
    const t = this.now();
    if (t - this.lastDraw < 250 && progress.messagesDone < progress.messagesPlanned) return;
    this.lastDraw = t;
    this.stream.write(`\r\x1b[2K${formatProgress(progress, (t - this.startedAt) / 1000, this.label)}`);
    this.visible = true;
  }

  /** Erase the line (before a log line, and at the end). */
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
  return (
    `${label ? `${label}: ` : ''}${p.messagesDone}/${p.messagesPlanned} messages, ${formatBytes(p.bytesDone)}` +
    ` (${rate.toFixed(rate < 10 ? 1 : 0)} msg/s, ${formatBytes(Math.round(byteRate))}/s)`
  );
}
