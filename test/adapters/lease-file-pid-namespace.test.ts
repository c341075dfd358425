/**
 * Threat: a CLI run in a container that shares the lease folder (same host name, another PID
 * namespace) is judged dead because its pid means nothing here, and a second poller walks in
 * beside it. A holder is taken over at once only when it provably ran in our namespace and its
 * pid is dead or reused; anything else waits for the lease to lapse.
 */
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { FileLeaseStore } from '../../lambda/adapters/local/lease-file.js';
import { FakeClock } from '../support/fake-clock.js';
import { useTempDir } from '../support/temp-dir.js';

const TTL = 60_000;
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A pid that is certainly dead in our namespace: a child that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await once(child, 'exit');
  return child.pid!;
}

/** Rewrites the holder fields of the stored lease. */
async function rewriteHolder(path: string, fields: Record<string, unknown>): Promise<void> {
  const stored = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  await writeFile(path, JSON.stringify({ ...stored, ...fields }));
}

/** True when this machine lets us start a process in a new PID namespace. */
function canUnshare(): boolean {
  const probe = spawnSync('unshare', ['--user', '--map-root-user', '--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore' });
  return probe.status === 0;
}

describe('FileLeaseStore holder liveness across PID namespaces', () => {
  const dir = useTempDir('lease-ns-');
  let clock: FakeClock;
  beforeEach(() => {
    clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  });

  it('waits out the lease of a holder in another PID namespace, though its pid is dead here', async () => {
    // Prepare: same host name, a pid that is dead in our namespace, another namespace recorded.
    const leases = new FileLeaseStore({ dir: dir(), clock });
    await leases.acquire('box', 'container', TTL);
    await rewriteHolder(leases.pathFor('box'), { pid: await deadPid(), pidNs: 'pid:[1]' });

    // Act + Assess: busy until its TTL runs out, then free.
    expect(await leases.acquire('box', 'host', TTL)).toBeNull();
    clock.advance(TTL - 1);
    expect(await leases.acquire('box', 'host', TTL)).toBeNull();
    clock.advance(1);
    expect((await leases.acquire('box', 'host', TTL))?.owner).toBe('host');
  });

  it('waits out the lease of a holder from another boot or with no namespace recorded', async () => {
    const leases = new FileLeaseStore({ dir: dir(), clock });
    await leases.acquire('box', 'old', TTL);
    const pid = await deadPid();

    await rewriteHolder(leases.pathFor('box'), { pid, boot: 'another-boot' });
    expect(await leases.acquire('box', 'next', TTL)).toBeNull();
    await rewriteHolder(leases.pathFor('box'), { pid, pidNs: undefined, boot: undefined, start: undefined });
    expect(await leases.acquire('box', 'next', TTL)).toBeNull();
  });

  it('takes over at once a lease whose holder died in our namespace', async () => {
    const leases = new FileLeaseStore({ dir: dir(), clock });
    await leases.acquire('box', 'killed', TTL);
    await rewriteHolder(leases.pathFor('box'), { pid: await deadPid() });

    expect((await leases.acquire('box', 'next', TTL))?.owner).toBe('next');
  });

  it('takes over at once a lease whose pid now belongs to a process started later (pid reused)', async () => {
    // Prepare: our parent is alive, but it is not the process that recorded this start time.
    const leases = new FileLeaseStore({ dir: dir(), clock });
    await leases.acquire('box', 'recycled', TTL);
    await rewriteHolder(leases.pathFor('box'), { pid: process.ppid, start: '1' });

    // Act + Assess
    expect((await leases.acquire('box', 'next', TTL))?.owner).toBe('next');
  });

  it.skipIf(!canUnshare())('never takes over a live holder running in a real second PID namespace', async () => {
    // Prepare: a holder in a fresh PID namespace (unshare), same host name, same folder.
    const worker = `
      import { FileLeaseStore } from './lambda/adapters/local/lease-file.js';
      const lease = await new FileLeaseStore({ dir: process.env.LEASE_DIR }).acquire('box', 'in-container', ${TTL});
      console.log(lease === null ? 'busy' : 'held ' + process.pid);
      process.stdin.resume();
      await new Promise((done) => process.stdin.once('end', done));
    `;
    // 'sh -c "...; true"' forks, so node is not pid 1 of the namespace.
    const child = spawn(
      'unshare',
      ['--user', '--map-root-user', '--pid', '--fork', '--mount-proc', 'sh', '-c', `"${process.execPath}" --import tsx --input-type=module -e "$WORKER"; true`],
      { cwd: repoRoot, env: { ...process.env, LEASE_DIR: dir(), WORKER: worker }, stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
      expect(line).toMatch(/^held \d+$/);
      const stored = JSON.parse(await readFile(new FileLeaseStore({ dir: dir() }).pathFor('box'), 'utf8')) as { pidNs: string };
      expect(stored.pidNs).not.toBe((await import('node:fs')).readlinkSync('/proc/self/ns/pid'));

      // Act + Assess: the holder is alive over there: busy here, whatever its pid means here.
      expect(await new FileLeaseStore({ dir: dir() }).acquire('box', 'host', TTL)).toBeNull();
    } finally {
      child.stdin.end();
      await once(child, 'exit');
    }
  }, 60_000);
});
