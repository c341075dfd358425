/**
 * syncfs(2) for the folder store's group commit: one call makes every file and directory entry
 * written under a folder durable, where fdatasync(2) per file costs one disk-cache flush each.
 * On the benchmark machine a flush caps per-file durability at ~1,100-1,600 files/s, whatever
 * the concurrency; one syncfs per group of 50-400 files sustains over 7,000 (docs/benchmarks.md).
 *
 * Node has no syncfs binding, so a small long-lived shell runs coreutils' `sync -f` for us:
 * one request line in, one status line out. Spawning a process per commit cost the CLI ~4 ms of
 * main-thread time each (fork of a large heap); the shell forks only itself.
 *
 * Why it keeps the error guarantee: since Linux 5.8 syncfs reports a write-back error of the
 * file system that nobody has reported yet (errseq: an unseen error is reported to a new opener
 * too). Any failure, of syncfs or of the shell, answers `false`: the store then syncs that group
 * file by file on the descriptors it kept open since the write, which report every error since,
 * and stops using syncfs for that folder. One gap remains, documented in
 * docs/delivery-guarantees.md: an error that another process's syncfs already reported is not
 * reported again to ours (per-file fdatasync would still see it). `POP3_INGEST_FOLDER_SYNC=files`
 * turns syncfs off.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { release } from 'node:os';
import type { Readable, Writable } from 'node:stream';

/** A coprocess idle this long exits: a test run or a long-lived caller keeps no shell around. */
const IDLE_EXIT_MS = 2_000;

/** `$0` is the folder (an argument: no quoting, any name); each input line asks for one sync. */
const SCRIPT = 'while read -r _; do if sync -f -- "$0"; then echo 0; else echo 1; fi; done';

/** Linux 5.8 made syncfs report write-back errors; before it, a lost write looked like success. */
export function syncfsReportsErrors(platform: string = process.platform, kernel: string = release()): boolean {
  if (platform !== 'linux') return false;
  const match = /^(\d+)\.(\d+)/.exec(kernel);
  if (!match) return false;
  const major = Number(match[1]);
  const minor = Number(match[2]);
  return major > 5 || (major === 5 && minor >= 8);
}

/** Whether the folder store may use syncfs at all: Linux >= 5.8 and not turned off. */
export function fileSystemSyncAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.POP3_INGEST_FOLDER_SYNC !== 'files' && syncfsReportsErrors();
}

type Shell = ChildProcessByStdio<Writable, Readable, null>;

/** One `sync -f` coprocess for one folder: requests are answered in order. */
class SyncfsShell {
  private shell: Shell | undefined;
  private pending: ((ok: boolean) => void)[] = [];
  private buffered = '';
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly folder: string) {}

  /** Runs one syncfs of the folder's file system; false on any failure, of syncfs or the shell. */
  sync(): Promise<boolean> {
    clearTimeout(this.idle);
    const shell = this.shell ?? this.start();
    if (shell === undefined) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.pending.push(resolve);
      // An answer awaited keeps the event loop alive (a commit may be all that is left to wait for).
      refStream(shell.stdout, true);
      shell.stdin.write('\n');
    }).then((ok) => {
      if (this.pending.length === 0 && this.shell !== undefined) {
        refStream(this.shell.stdout, false);
        this.idle = setTimeout(() => this.stop(), IDLE_EXIT_MS).unref();
      }
      return ok as boolean;
    });
  }

  private start(): Shell | undefined {
    let shell: Shell;
    try {
      shell = spawn('/bin/sh', ['-c', SCRIPT, this.folder], { stdio: ['pipe', 'pipe', 'ignore'] });
    } catch {
      return undefined;
    }
    // Idle, it never keeps us alive: at our exit the pipe closes and the shell's read ends it.
    shell.unref();
    refStream(shell.stdin, false);
    shell.stdout.setEncoding('latin1');
    shell.stdout.on('data', (text: string) => this.answer(text));
    shell.stdin.on('error', () => this.fail(shell));
    shell.on('error', () => this.fail(shell));
    shell.on('exit', () => this.fail(shell));
    this.shell = shell;
    return shell;
  }

  private answer(text: string): void {
    this.buffered += text;
    let newline: number;
    while ((newline = this.buffered.indexOf('\n')) >= 0) {
      const line = this.buffered.slice(0, newline);
      this.buffered = this.buffered.slice(newline + 1);
      this.pending.shift()?.(line === '0');
    }
  }

  /** The shell is gone: every request still waiting failed; the next one starts a new shell. */
  private fail(shell: Shell): void {
    if (this.shell !== shell) return;
    this.shell = undefined;
    this.buffered = '';
    for (const resolve of this.pending.splice(0)) resolve(false);
  }

  private stop(): void {
    const shell = this.shell;
    if (shell === undefined || this.pending.length > 0) return;
    this.shell = undefined;
    if (shells.get(this.folder) === this) shells.delete(this.folder);
    shell.stdin.end();
  }
}

const shells = new Map<string, SyncfsShell>();

/** A child's pipe is a socket: ref() and unref() exist at run time though the stream types omit them. */
function refStream(stream: Readable | Writable, referenced: boolean): void {
  const socket = stream as { ref?: () => void; unref?: () => void };
  if (referenced) socket.ref?.();
  else socket.unref?.();
}

/**
 * Makes everything written on `folder`'s file system durable: true once syncfs succeeded, false
 * when it failed or cannot run here (the caller then syncs file by file, which decides).
 */
export function syncFileSystemOf(folder: string): Promise<boolean> {
  let shell = shells.get(folder);
  if (shell === undefined) {
    shell = new SyncfsShell(folder);
    shells.set(folder, shell);
  }
  return shell.sync();
}
