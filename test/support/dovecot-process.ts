/**
 * The Dovecot master process: started in the foreground with its log on a pipe, ready when it
 * logs "starting up" (never a sleep), stopped by SIGTERM to the pid we started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { listenOnLoopback } from './loopback-services.js';

const DOVECOT_BINARY = '/usr/sbin/dovecot';
const STARTUP_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;

/** Dovecot could not bind a probed port: retried with fresh ports. */
export class PortTakenError extends Error {}

/** Dovecot's log so far, with listeners called on every new chunk. */
export interface Log {
  text: string;
  /** Called after every chunk of log output. */
  listeners: Set<() => void>;
}

/** A running Dovecot master. */
export interface Instance {
  child: ChildProcess;
  exited: Promise<void>;
  log: Log;
}

/** Running masters and their instance directories. */
const running = new Map<ChildProcess, string>();
let exitHookInstalled = false;

/** Starts `dovecot -F -c <dir>/dovecot.conf`; resolves when it has bound every listener. */
export async function launch(dir: string): Promise<Instance> {
  const child = spawn(DOVECOT_BINARY, ['-F', '-c', join(dir, 'dovecot.conf')], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.set(child, dir);
  installExitHook();
  const log: Log = { text: '', listeners: new Set() };
  const appendLog = (chunk: Buffer): void => {
    log.text += chunk.toString('utf8');
    for (const listener of log.listeners) listener();
  };
  child.stderr?.on('data', appendLog);
  child.stdout?.on('data', appendLog);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      log.listeners.delete(onData);
      if (error) {
        // SIGTERM, not SIGKILL: Dovecot's master takes its auth, log and login children with it.
        child.kill('SIGTERM');
        reject(error);
      } else {
        resolve();
      }
    };
    // A fallback only: readiness is the log line below, this just bounds a hung start.
    const timer = setTimeout(() => settle(new Error(`Dovecot did not start within ${STARTUP_TIMEOUT_MS} ms:\n${log.text}`)), STARTUP_TIMEOUT_MS);
    const onData = (): void => {
      if (/bind\(.*\) failed: Address already in use/.test(log.text)) {
        settle(new PortTakenError(`Dovecot could not bind:\n${log.text}`));
      } else if (/Fatal:/.test(log.text)) {
        settle(new Error(`Dovecot failed to start:\n${log.text}`));
      } else if (/master: Info: Dovecot v\S+ .*starting up/.test(log.text)) {
        // The master logs this after it has bound every listener (master/main.c).
        settle();
      }
    };
    log.listeners.add(onData);
    child.once('error', (error) => settle(new Error(`cannot run ${DOVECOT_BINARY} (is dovecot-pop3d installed?): ${error.message}`)));
    child.once('exit', (code, signal) => settle(new Error(`Dovecot exited during startup (code ${code}, signal ${signal}):\n${log.text}`)));
  });
  return { child, exited, log };
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A test that forgot stop() (or crashed) must not leave a Dovecot behind.
  process.once('exit', () => {
    for (const [child, dir] of running) {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** SIGTERM to the master and wait for its exit (SIGKILL only if it hangs). */
export async function stopInstance(instance: Instance): Promise<void> {
  const { child } = instance;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  // A fallback only: Dovecot's master normally exits promptly on SIGTERM.
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await instance.exited;
  clearTimeout(timer);
}

/** Resolves with the first whole log line after `since` matching `pattern`, as soon as it is written. */
export function waitForLog(log: Log, pattern: RegExp, since: number, timeoutMs: number): Promise<string> {
  const find = (): string | undefined => {
    // Whole lines only: a line still being written must not match half-way.
    const text = log.text.slice(since);
    for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) if (pattern.test(line)) return line;
    return undefined;
  };
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const line = find();
      if (line === undefined) return;
      finish();
      resolve(line);
    };
    // A fallback only, so a missing line fails with the log instead of hanging the test.
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`no Dovecot log line matched ${pattern} within ${timeoutMs} ms:\n${log.text.slice(since)}`));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      log.listeners.delete(check);
    };
    log.listeners.add(check);
    check();
  });
}

/** Free TCP ports on 127.0.0.1, chosen by the OS (bind to port 0), all distinct. */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  // All held open at once, so the OS cannot hand out the same port twice.
  const ports = await Promise.all(servers.map((server) => listenOnLoopback(server, 'server')));
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  return ports;
}
