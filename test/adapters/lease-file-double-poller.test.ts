/**
 * Threat: two CLI runs poll the same mailbox at once. FileLeaseStore lets one in, takes over an
 * expired lease safely (exactly one taker), and a late release never removes a successor's lease.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { beforeEach, describe, expect, it } from 'vitest';
import { FileLeaseStore } from '../../lambda/adapters/local/lease-file.js';
import { FakeClock } from '../support/fake-clock.js';
import { useTempDir } from '../support/temp-dir.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runChild } from './run-child.js';

describe('FileLeaseStore', () => {
  const dir = useTempDir('lease-file-');
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  });

  it('writes a private lease file holding owner and expiry', async () => {
    const leases = new FileLeaseStore({ dir: dir(), clock });

    const lease = await leases.acquire('box', 'cli-1', 30_000);

    expect(lease?.owner).toBe('cli-1');
    expect(lease?.expiresAt.toISOString()).toBe('2026-01-01T00:00:30.000Z');
    const stored = JSON.parse(await readFile(leases.pathFor('box'), 'utf8')) as { owner: string; expiresAt: string };
    expect(stored).toMatchObject({ owner: 'cli-1', expiresAt: '2026-01-01T00:00:30.000Z' });
    expect((await stat(leases.pathFor('box'))).mode & 0o777).toBe(0o600);
  });

  it('refuses a second poller while the lease is live, and lets it in after release', async () => {
    const leases = new FileLeaseStore({ dir: dir(), clock });
    const first = await leases.acquire('box', 'a', 30_000);

    expect(await leases.acquire('box', 'b', 30_000)).toBeNull();
    await first!.release();
    expect((await leases.acquire('box', 'b', 30_000))?.owner).toBe('b');
  });

  it('lets exactly one of many concurrent acquirers in', async () => {
    const leases = new FileLeaseStore({ dir: dir(), clock });

    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => leases.acquire('box', `p${i}`, 30_000)));

    expect(results.filter((lease) => lease !== null)).toHaveLength(1);
  });

  it('lets exactly one of several live processes in', async () => {
    // Each worker stays alive (holding or not) until every worker has answered: a winner that
    // exited would leave a lease with a dead holder, which the next acquirer rightly takes over.
    const worker = `
      import { FileLeaseStore } from './lambda/adapters/local/lease-file.js';
      const lease = await new FileLeaseStore({ dir: process.env.LEASE_DIR }).acquire('box', String(process.pid), 60_000);
      console.log(lease === null ? 'busy' : 'won');
      process.stdin.resume();
      await new Promise((done) => process.stdin.once('end', done));
    `;

    const outputs = await runHeldChildren(4, worker, { LEASE_DIR: dir() });

    expect(outputs.filter((o) => o === 'won')).toHaveLength(1);
  }, 60_000);

  it('takes over at once a lease whose holder process is gone (SIGKILLed CLI run)', async () => {
    // Prepare: a child takes the lease and exits without releasing it, like a killed poll.
    const worker = `
      import { FileLeaseStore } from './lambda/adapters/local/lease-file.js';
      const lease = await new FileLeaseStore({ dir: process.env.LEASE_DIR }).acquire('box', 'killed', 3_600_000);
      console.log(lease === null ? 'busy' : 'won');
    `;
    expect((await runChild(worker, { LEASE_DIR: dir() })).trim()).toBe('won');

    // Act
    const lease = await new FileLeaseStore({ dir: dir() }).acquire('box', 'next', 30_000);

    // Assess: no hour-long wait for a holder that no longer exists.
    expect(lease?.owner).toBe('next');
  }, 60_000);

  it('keeps a live holder\'s lease on this host, whatever its pid', async () => {
    const leases = new FileLeaseStore({ dir: dir(), clock });
    await leases.acquire('box', 'parent', 30_000);
    // Rewrite the holder as our parent process: alive, but not us (its start time unrecorded,
    // so it is judged by its pid alone).
    const stored = JSON.parse(await readFile(leases.pathFor('box'), 'utf8')) as Record<string, unknown>;
    await writeFile(leases.pathFor('box'), JSON.stringify({ ...stored, pid: process.ppid, start: undefined }));

    expect(await leases.acquire('box', 'other', 30_000)).toBeNull();
  });

  it('lets exactly one of many pollers take over an expired lease', async () => {
    const leases = new FileLeaseStore({ dir: dir(), clock });
    await leases.acquire('box', 'crashed', 1_000);
    clock.advance(1_000);

    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => leases.acquire('box', `p${i}`, 30_000)));

    const winners = results.filter((lease) => lease !== null);
    expect(winners).toHaveLength(1);
    const stored = JSON.parse(await readFile(leases.pathFor('box'), 'utf8')) as { owner: string };
    expect(stored.owner).toBe(winners[0]!.owner);
  });

  it('does not let a late release remove the successor\'s lease', async () => {
    const leases = new FileLeaseStore({ dir: dir(), clock });
    const old = await leases.acquire('box', 'slow', 1_000);
    clock.advance(2_000);
    const successor = await leases.acquire('box', 'next', 30_000);

    await old!.release();

    expect(successor?.owner).toBe('next');
    expect(await leases.acquire('box', 'third', 30_000)).toBeNull();
  });

  it('treats a torn lease file as expired', async () => {
    const leases = new FileLeaseStore({ dir: dir(), clock });
    await leases.acquire('box', 'a', 30_000);
    await writeFile(leases.pathFor('box'), '{"owner":"a","tok');

    expect((await leases.acquire('box', 'b', 30_000))?.owner).toBe('b');
  });
});

/** Starts `count` workers; resolves with each one's first output line once all have answered, then lets them exit. */
function runHeldChildren(count: number, source: string, env: Record<string, string>): Promise<string[]> {
  const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
  const children = Array.from({ length: count }, () =>
    spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', source], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const answers = children.map(
    (child) =>
      new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.includes('\n')) resolve(out.trim());
        });
        child.once('exit', (code) => reject(new Error(`worker exited ${code} before answering`)));
      }),
  );
  return Promise.all(answers).finally(() => {
    for (const child of children) child.stdin.end();
  });
}
