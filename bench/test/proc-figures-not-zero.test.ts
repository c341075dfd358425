import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { readCpuMs, readVmHwmKb, watchProcess } from '../proc-watch.js';

describe('the process watch reports real figures, not zeros', () => {
  it('reads our own peak RSS and CPU time', () => {
    expect(readVmHwmKb()).toBeGreaterThan(10_000);
    expect(readCpuMs('/proc/self/stat')).toBeGreaterThan(0);
  });

  it('sees a child that holds 64 MiB and burns 300 ms of CPU', async () => {
    // Prepare: the child fills 64 MiB (so it is resident), then burns 300 ms of CPU time (not
    // wall time: on a loaded machine 300 ms of wall clock may hold far less CPU), then exits.
    const script = 'const b = Buffer.alloc(64 * 1024 * 1024, 1); const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };'
      + ' while (cpu() < 300) b[0]++;';
    const child = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    const watch = watchProcess(child.pid as number);

    // Act
    await once(child, 'exit');
    const figures = watch.stop();

    // Assess: polling may miss the very end, never the bulk.
    expect(figures.peakRssKb).toBeGreaterThan(64 * 1024);
    expect(figures.cpuMs).toBeGreaterThanOrEqual(200);
  });

  it('answers undefined for a process that is gone', () => {
    expect(readVmHwmKb('/proc/0/status')).toBeUndefined();
    expect(readCpuMs('/proc/0/stat')).toBeUndefined();
  });
});
