/**
 * Threat: the token endpoint rotated the refresh token (the old one is revoked), we wrote the new
 * one back with write-temp + rename, and the machine lost power before the bytes or the rename
 * reached the disk: after the reboot the file names an empty or old token and every poll fails
 * auth until someone re-consents. The temp file must be fsynced before the rename and the folder
 * after it. A power cut cannot be staged in a test, so the order of the system calls is checked.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const calls: string[] = [];

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (...args) => {
    const path = String(args[0]);
    const handle = await real.open(...args);
    const sync = handle.sync.bind(handle);
    handle.sync = async () => {
      calls.push(`sync ${path}`);
      return sync();
    };
    return handle;
  };
  const rename: typeof real.rename = async (from, to) => {
    calls.push(`rename ${String(from)} -> ${String(to)}`);
    return real.rename(from, to);
  };
  return { ...real, default: { ...real, open, rename }, open, rename };
});

const { LocalSecretProvider } = await import('../../lambda/adapters/secrets/local.js');
const { Secret } = await import('../../lambda/adapters/secrets/secret.js');

const dir = mkdtempSync(join(tmpdir(), 'pop3-ingest-rotate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writing back a rotated refresh token', () => {
  it('fsyncs the new file before renaming it over the old one, and the folder after', async () => {
    // Prepare
    const file = join(dir, 'oauth.json');
    writeFileSync(file, JSON.stringify({ client_id: 'cid', refresh_token: 'rt-old' }), { mode: 0o600 });
    calls.length = 0;

    // Act
    await new LocalSecretProvider().update({ file }, { refreshToken: new Secret('rt-new') });

    // Assess
    const renameAt = calls.findIndex((c) => c.startsWith('rename ') && c.endsWith(` -> ${file}`));
    expect(renameAt).toBeGreaterThanOrEqual(0);
    const temp = calls[renameAt]!.slice('rename '.length, calls[renameAt]!.indexOf(' -> '));
    expect(calls.indexOf(`sync ${temp}`)).toBeGreaterThanOrEqual(0);
    expect(calls.indexOf(`sync ${temp}`)).toBeLessThan(renameAt);
    expect(calls.lastIndexOf(`sync ${dirname(file)}`)).toBeGreaterThan(renameAt);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ client_id: 'cid', refresh_token: 'rt-new' });
  });
});
