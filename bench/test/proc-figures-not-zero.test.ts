import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { readCpuMs, readVmHwmKb, watchProcess } from '../proc-watch.js';

describe('the process watch reports real figures, not zeros', () => {
  it('reads our own peak RSS and CPU time', () => {
    expect(readVmHwmKb()).toBeGreaterThan(10_000);
    expect(readCpuMs('/proc/self/stat')).toBeGreaterThan(0);
  });

  it('sees a child that holds 64 MiB and spins for 300 ms', async () => {
    // Prepare: the child fills 64 MiB (so it is resident), then burns CPU, then exits.
    const script = 'const b = Buffer.alloc(64 * 1024 * 1024, 1); const t = Date.now(); while (Date.now() - t < 300) b[0]++;';
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
