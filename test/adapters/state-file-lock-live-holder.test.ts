/**
 * Threat: a state save that takes longer than the lock's stale age (a slow disk, a stalled
 * fsync, a paused process) has its lock broken by a second writer, and both write the state.
 * The state-file lock is broken at once when its holder provably died, never while it provably
 * lives, and, for a holder we cannot see (another PID namespace), only when it stopped touching
 * the lock file.
 */
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { utimes, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FileStateStore } from '../../lambda/adapters/local/state-file.js';
import { useTempDir } from '../support/temp-dir.js';

type Holder = ChildProcessByStdio<Writable, Readable, null>;

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A child that takes the lock at LOCK_PATH, prints "locked", and holds it until its stdin closes. */
const HOLDER = `
  import { withFileLock } from './lambda/adapters/local/file-lock.js';
  await withFileLock(process.env.LOCK_PATH, async () => {
    console.log('locked');
    process.stdin.resume();
    await new Promise((done) => process.stdin.once('end', done));
  }, { staleMs: Number(process.env.STALE_MS ?? 10000) });
`;

/** Starts the holder (optionally in a new PID namespace) and resolves once it holds the lock. */
async function startHolder(env: Record<string, string>, inNewPidNamespace = false): Promise<Holder> {
  const node = [process.execPath, '--import', 'tsx', '--input-type=module', '-e', HOLDER];
  const [command, args] = inNewPidNamespace
    ? ['unshare', ['--user', '--map-root-user', '--pid', '--fork', '--mount-proc', 'sh', '-c', `"${process.execPath}" --import tsx --input-type=module -e "$HOLDER_SRC"; true`]]
    : [node[0]!, node.slice(1)];
  const child = spawn(command, args as string[], { cwd: repoRoot, env: { ...process.env, ...env, HOLDER_SRC: HOLDER }, stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout }), 'line')) as [string];
  expect(line).toBe('locked');
  return child;
}

async function stop(child: Holder): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.stdin.end();
  await once(child, 'exit');
}

function canUnshare(): boolean {
  return spawnSync('unshare', ['--user', '--map-root-user', '--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore' }).status === 0;
}

describe('FileStateStore lock held by a live or dead process', () => {
  const dir = useTempDir('state-lock-');

  it('never breaks the lock of a live holder, however old its lock file looks', async () => {
    // Prepare: a live process holds the lock, and its lock file looks a minute old.
    const store = new FileStateStore({ dir: dir(), lock: { staleMs: 50, timeoutMs: 500 } });
    const base = await store.save('box', text('a'), null);
    const lockPath = `${store.pathFor('box')}.lock`;
    const holder = await startHolder({ LOCK_PATH: lockPath });
    try {
      const old = new Date(Date.now() - 60_000);
      await utimes(lockPath, old, old);

      // Act
      const outcome = await store.save('box', text('b'), base).catch((error: unknown) => error);

      // Assess
      expect(outcome).toMatchObject({ code: 'STATE_FAILED', category: 'throttled' });
      expect(decode((await store.load('box'))!.body)).toBe('a');
    } finally {
      await stop(holder);
    }
  }, 60_000);

  it('breaks at once the lock of a holder that was SIGKILLed, without waiting for its stale age', async () => {
    // Prepare
    const store = new FileStateStore({ dir: dir(), lock: { staleMs: 600_000, timeoutMs: 2_000 } });
    const base = await store.save('box', text('a'), null);
    const holder = await startHolder({ LOCK_PATH: `${store.pathFor('box')}.lock` });
    holder.kill('SIGKILL');
    await once(holder, 'exit');

    // Act
    await store.save('box', text('b'), base);

    // Assess
    expect(decode((await store.load('box'))!.body)).toBe('b');
  }, 60_000);

  it('judges a holder in another PID namespace by whether it still touches its lock', async () => {
    // Prepare: a lock recorded by a process we cannot see (another namespace), touched just now.
    const store = new FileStateStore({ dir: dir(), lock: { staleMs: 1_000, timeoutMs: 100 } });
    const base = await store.save('box', text('a'), null);
    const lockPath = `${store.pathFor('box')}.lock`;
    await writeFile(lockPath, JSON.stringify({ token: 't', pid: 999_999, host: (await import('node:os')).hostname(), pidNs: 'pid:[1]' }));

    // Act + Assess: busy while fresh, broken once untouched for longer than staleMs.
    await expect(store.save('box', text('b'), base)).rejects.toMatchObject({ code: 'STATE_FAILED', category: 'throttled' });
    const old = new Date(Date.now() - 5_000);
    await utimes(lockPath, old, old);
    await store.save('box', text('b'), base);
    expect(decode((await store.load('box'))!.body)).toBe('b');
  });

  it.skipIf(!canUnshare())('keeps the lock of a live holder in a real second PID namespace past its stale age', async () => {
    // Prepare: the holder heartbeats its lock every staleMs/4; we wait three stale ages.
    // (A stale age of 1.5 s leaves the heartbeat 1.1 s of slack on a loaded machine.)
    const store = new FileStateStore({ dir: dir(), lock: { staleMs: 1_500, timeoutMs: 4_500 } });
    const base = await store.save('box', text('a'), null);
    const holder = await startHolder({ LOCK_PATH: `${store.pathFor('box')}.lock`, STALE_MS: '1500' }, true);
    try {
      // Act
      const outcome = await store.save('box', text('b'), base).catch((error: unknown) => error);

      // Assess
      expect(outcome).toMatchObject({ code: 'STATE_FAILED', category: 'throttled' });
      expect(decode((await store.load('box'))!.body)).toBe('a');
    } finally {
      await stop(holder);
    }
  }, 60_000);
});
