/**
 * A private temp folder for file-system tests, made by a hook and removed by its partner hook
 * (even when the test fails), so no test forgets to clean up after itself.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';

/**
 * Registers hooks in the enclosing describe that make `<tmpdir>/<prefix>XXXXXX` before each
 * test ('each') or once for the suite ('all') and remove it afterwards; call the returned
 * function inside a test for the folder's path.
 */
export function useTempDir(prefix: string, scope: 'each' | 'all' = 'each'): () => string {
  let dir: string | undefined;
  const [before, after] = scope === 'each' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    if (dir === undefined) throw new Error(`temp dir ${prefix} used outside its hooks`);
    return dir;
  };
}
