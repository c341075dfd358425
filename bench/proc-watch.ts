/**
 * Peak resident set size and CPU time of a process we did not write (mpop), without C and
 * without /usr/bin/time: poll /proc/<pid>/status and /proc/<pid>/stat every few milliseconds.
 * VmHWM ("high water mark") is a running maximum kept by the kernel, and utime + stime only
 * grow, so polling loses only the last few milliseconds of the process.
 */
import { readFileSync } from 'node:fs';

/** What a watch saw. */
export interface ProcessFigures {
  /** Highest VmHWM seen, KiB (0 if never read). */
  peakRssKb: number;
  /** utime + stime at the last sample, ms (USER_HZ ticks: 10 ms resolution). */
  cpuMs: number;
}

/** A running watch; call `stop()` once the process has exited. */
export interface ProcessWatch {
  stop(): ProcessFigures;
}

/** Linux reports utime and stime in USER_HZ ticks, 100 per second on every architecture. */
const USER_HZ = 100;

/** Starts polling `pid`. Linux only. */
export function watchProcess(pid: number, intervalMs = 5): ProcessWatch {
  const figures: ProcessFigures = { peakRssKb: 0, cpuMs: 0 };
  const sample = () => {
    const kb = readVmHwmKb(`/proc/${pid}/status`);
    if (kb !== undefined) figures.peakRssKb = Math.max(figures.peakRssKb, kb);
    const cpu = readCpuMs(`/proc/${pid}/stat`);
    if (cpu !== undefined) figures.cpuMs = Math.max(figures.cpuMs, cpu);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      sample(); // the process is usually reaped by now: a missing file is ignored
      clearInterval(timer);
      return { ...figures };
    },
  };
}

/** VmHWM of a /proc status file in KiB, or undefined when the process is gone. */
export function readVmHwmKb(statusPath = '/proc/self/status'): number | undefined {
  const text = readQuietly(statusPath);
  const match = text === undefined ? null : /^VmHWM:\s+(\d+)\s+kB$/m.exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** utime + stime of a /proc stat file in ms, or undefined when the process is gone. */
export function readCpuMs(statPath: string): number | undefined {
  const text = readQuietly(statPath);
  if (text === undefined) return undefined;
  // proc(5): the command name may hold spaces and parentheses; fields restart after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / USER_HZ : undefined;
}

function readQuietly(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch {
    return undefined;
  }
}
