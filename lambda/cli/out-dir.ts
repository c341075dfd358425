/**
 * The output folder is checked before any connection: a folder that cannot hold the messages
 * must fail as a usage error (exit 2) in a second, not as a lease or store error after login.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, realpath, rm, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { usageError } from './errors.js';

/** statfs magic numbers of kernel pseudo-filesystems (linux/magic.h): they hold no files. */
const PSEUDO_FS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
]);
/** Folders that are never a place for mail, whatever filesystem backs them. */
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];

const FIX = 'choose a writable --out folder';

/** Throws a usage error unless `dir` exists or can be made, is a real filesystem, and takes a file. */
export async function checkOutDir(dir: string, flag = '--out'): Promise<void> {
  const real = await realpath(await nearestExisting(dir));
  const root = PSEUDO_ROOTS.find((r) => real === r || (real.startsWith(`${r}/`) && !real.startsWith('/dev/shm')));
  let fsName = root?.slice(1);
  if (fsName === undefined) {
    const type = Number((await statfs(real).catch(() => ({ type: 0 }))).type);
    fsName = PSEUDO_FS.get(type);
  }
  if (fsName !== undefined) {
    throw usageError(`${flag} ${dir} is on the ${fsName} pseudo-filesystem, which cannot hold messages`, FIX);
  }
  try {
    await mkdir(dir, { recursive: true });
    // A real write: permissions, read-only mounts and full disks all show here.
    const probe = join(dir, `.pop3-ingest-write-test-${randomBytes(4).toString('hex')}`);
    const handle = await open(probe, 'wx', 0o600);
    try {
      await handle.write('ok');
      await handle.sync();
    } finally {
      await handle.close();
      await rm(probe, { force: true });
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw usageError(`cannot write to ${flag} ${dir} (${code})`, FIX);
  }
}

async function nearestExisting(path: string): Promise<string> {
  let p = path;
  for (;;) {
    try {
      await realpath(p);
      return p;
    } catch {
      const up = dirname(p);
      if (up === p) return p;
      p = up;
    }
  }
}
