/**
 * The progress line: drawn only on a terminal, throttled, erased before log lines.
 */
import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { formatProgress, ProgressLine } from '../../../lambda/cli/progress.js';

function sink(isTTY: boolean): { stream: Writable & { isTTY?: boolean }; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      text += chunk.toString();
      cb();
    },
  }) as Writable & { isTTY?: boolean };
  stream.isTTY = isTTY;
  return { stream, text: () => text };
}

describe('progress line', () => {
  it('shows messages, percent, bytes, rates and the time left', () => {
    expect(formatProgress({ messagesDone: 50, messagesPlanned: 200, bytesDone: 5 * 1024 * 1024 }, 2, 'inbox')).toBe(
      'inbox: 50/200 messages (25%), 5.0 MiB (25 msg/s, 2.5 MiB/s, 6 s left)',
    );
    expect(formatProgress({ messagesDone: 10, messagesPlanned: 1000, bytesDone: 0 }, 10)).toContain('(1%)');
    expect(formatProgress({ messagesDone: 10, messagesPlanned: 1000, bytesDone: 0 }, 10)).toContain('16m30s left');
  });

  it('prints plain periodic lines with --progress when stderr is not a terminal, and one at the end', () => {
    let now = 0;
    const out = sink(false);
    const line = new ProgressLine({ stream: out.stream, lines: true, intervalMs: 1000, now: () => now });
    now = 500;
    line.update({ messagesDone: 1, messagesPlanned: 3, bytesDone: 10 });
    now = 1200;
    line.update({ messagesDone: 2, messagesPlanned: 3, bytesDone: 20 });
    now = 1300;
    line.update({ messagesDone: 3, messagesPlanned: 3, bytesDone: 30 });
    expect(out.text().split('\n').filter(Boolean).map((l) => l.split(',')[0])).toEqual(['progress: 2/3 messages (66%)', 'progress: 3/3 messages (100%)']);
    expect(out.text()).not.toContain('\x1b');
  });

  it('stays silent when stderr is not a terminal (piped, CI logs)', () => {
    const out = sink(false);
    const line = new ProgressLine({ stream: out.stream });
    line.update({ messagesDone: 1, messagesPlanned: 2, bytesDone: 10 });
    line.clear();
    expect(line.enabled).toBe(false);
    expect(out.text()).toBe('');
  });

  it('redraws in place on a terminal, at most every 250 ms, always for the last message', () => {
    let now = 0;
    const out = sink(true);
    const line = new ProgressLine({ stream: out.stream, now: () => now });
    now = 300;
    line.update({ messagesDone: 1, messagesPlanned: 3, bytesDone: 10 });
    now = 310;
    line.update({ messagesDone: 2, messagesPlanned: 3, bytesDone: 20 });
    now = 320;
    line.update({ messagesDone: 3, messagesPlanned: 3, bytesDone: 30 });
    line.clear();
    const draws = out.text().split('\r\x1b[2K').filter((s) => s !== '');
    expect(draws.map((d) => d.split(',')[0])).toEqual(['1/3 messages (33%)', '3/3 messages (100%)']);
    expect(out.text().endsWith('\r\x1b[2K')).toBe(true);
  });
});
