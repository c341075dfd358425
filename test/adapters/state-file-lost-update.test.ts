/**
 * Threat: two CLI runs (or a run and a retry) both save the mailbox state; without a real
 * compare-and-swap the second erases what the first recorded. FileStateStore's CAS is checked
 * in-process and between real processes racing on the same file.
 */
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AdapterError } from '../../lambda/adapters/errors.js';
import { FileStateStore } from '../../lambda/adapters/local/state-file.js';
import { useTempDir } from '../support/temp-dir.js';
import { runChild } from './run-child.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const decode = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('FileStateStore compare-and-swap', () => {
  const dir = useTempDir('state-file-');

  it('creates, loads and replaces the document, the version following the content', async () => {
    const store = new FileStateStore({ dir: dir() });
    expect(await store.load('box')).toBeNull();

    const v1 = await store.save('box', text('one'), null);
    const loaded = await store.load('box');
    const v2 = await store.save('box', text('two'), v1);

    expect(decode(loaded!.body)).toBe('one');
    expect(loaded!.version).toBe(v1);
    expect(v2).not.toBe(v1);
    expect(decode((await store.load('box'))!.body)).toBe('two');
    expect((await stat(store.pathFor('box'))).mode & 0o777).toBe(0o600);
    expect((await readdir(join(dir(), 'state'))).sort()).toEqual(['box.json']);
  });

  it('gives STATE_CONFLICT to the second of two writers that loaded the same version', async () => {
    const a = new FileStateStore({ dir: dir() });
    const b = new FileStateStore({ dir: dir() });
    const base = await a.save('box', text('base'), null);

    await a.save('box', text('from A'), base);
    const error = await b.save('box', text('from B'), base).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AdapterError);
    expect(error).toMatchObject({ code: 'STATE_CONFLICT' });
    expect(decode((await a.load('box'))!.body)).toBe('from A');
  });

  it('refuses to create a document that already exists', async () => {
    const store = new FileStateStore({ dir: dir() });
    await store.save('box', text('x'), null);
    await expect(store.save('box', text('y'), null)).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
  });

  it('lets exactly one of many concurrent in-process writers win each round', async () => {
    const store = new FileStateStore({ dir: dir() });
    const base = await store.save('box', text('0'), null);

    const outcomes = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => store.save('box', text(`w${i}`), base)));

    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected').every((o) => (o as PromiseRejectedResult).reason.code === 'STATE_CONFLICT')).toBe(true);
  });

  it('loses no update when four processes increment the same counter through CAS', async () => {
    // Prepare
    await new FileStateStore({ dir: dir() }).save('box', text('0'), null);
    const worker = `
      import { FileStateStore } from './lambda/adapters/local/state-file.js';
      const store = new FileStateStore({ dir: process.env.STATE_DIR });
      let wins = 0;
      while (wins < 25) {
        const loaded = await store.load('box');
        const next = String(Number(new TextDecoder().decode(loaded.body)) + 1);
        try { await store.save('box', new TextEncoder().encode(next), loaded.version); wins += 1; }
        catch (error) { if (error.code !== 'STATE_CONFLICT') throw error; }
      }
      console.log(wins);
    `;

    // Act
    const outputs = await Promise.all(Array.from({ length: 4 }, () => runChild(worker, { STATE_DIR: dir() })));

    // Assess: 100 successful saves, and the counter says 100
    expect(outputs.map((o) => Number(o.trim()))).toEqual([25, 25, 25, 25]);
    expect(decode((await new FileStateStore({ dir: dir() }).load('box'))!.body)).toBe('100');
  }, 60_000);

  it('breaks a lock left behind by a crashed writer once it is stale', async () => {
    const store = new FileStateStore({ dir: dir(), lock: { staleMs: 50, timeoutMs: 5_000 } });
    const base = await store.save('box', text('a'), null);
    const lock = `${store.pathFor('box')}.lock`;
    await writeFile(lock, 'crashed');
    const old = new Date(Date.now() - 60_000);
    const { utimes } = await import('node:fs/promises');
    await utimes(lock, old, old);

    await store.save('box', text('b'), base);

    expect(decode((await store.load('box'))!.body)).toBe('b');
  });

  it('reports a lock held too long as STATE_FAILED (throttled), never as a silent write', async () => {
    const store = new FileStateStore({ dir: dir(), lock: { staleMs: 60_000, timeoutMs: 30 } });
    const base = await store.save('box', text('a'), null);
    await writeFile(`${store.pathFor('box')}.lock`, 'held');

    await expect(store.save('box', text('b'), base)).rejects.toMatchObject({ code: 'STATE_FAILED', category: 'throttled' });
    expect(decode((await store.load('box'))!.body)).toBe('a');
  });

  it('rejects mailbox ids that would leave the state folder', async () => {
    const store = new FileStateStore({ dir: dir() });
    await expect(store.save('../escape', text('x'), null)).rejects.toMatchObject({ code: 'INVALID_KEY' });
    await expect(store.load('a/b')).rejects.toMatchObject({ code: 'INVALID_KEY' });
  });
});
