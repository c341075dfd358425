/**
 * A real S3 API on loopback for tests: fauxqs (an in-memory S3 emulator) in a child process.
 *
 * A child, not in-process: fauxqs keeps objects in memory, and the memory test measures this
 * process's RSS. It listens on 127.0.0.1 with an OS-chosen port (startFauxqs would bind 0.0.0.0,
 * so buildApp is used directly). The child exits when its stdin closes, so it never outlives us.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';

/** A running emulator: its endpoint URL and how to stop it. */
export interface S3Server {
  endpoint: string;
  stop(): Promise<void>;
}

const CHILD_SOURCE = `
import { buildApp } from 'fauxqs';
const app = buildApp({ logger: false });
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(JSON.stringify({ address }) + '\\n');
process.stdin.on('end', () => { app.close().finally(() => process.exit(0)); });
process.stdin.resume();
`;

/** Starts fauxqs on 127.0.0.1 (port chosen by the OS) and resolves once it listens. */
export async function startS3Server(): Promise<S3Server> {
  const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawn(process.execPath, ['--input-type=module', '-e', CHILD_SOURCE], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = once(child, 'exit');
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise<string>((resolve, reject) => {
    lines.once('line', (line) => {
      try {
        resolve((JSON.parse(line) as { address: string }).address);
      } catch (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
    child.once('exit', (code) => reject(new Error(`fauxqs exited early with code ${code}`)));
    child.once('error', reject);
  });
  let endpoint: string;
  try {
    endpoint = await ready;
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    endpoint,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** An S3 client for the emulator: path style, dummy credentials, us-east-1. */
export function testS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
}
