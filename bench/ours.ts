/**
 * Our contender: the POP3 engine exactly as shipped (the compiled dist/ that `npm run bench`
 * builds first), driven the way the sync core drives it: UIDL, then one pipelined fetch of
 * every message, each body stream consumed and discarded (or hashed, for the memory run).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BenchTarget } from './contender-spec.js';

/** The engine module's public API. */
export type Engine = typeof import('../lambda/pop3/index.js');

/** The child runs from the repository root (runContender sets its cwd); this file is bundled elsewhere. */
const DIST_ENGINE = join(process.cwd(), 'dist', 'lambda', 'pop3', 'index.js');

/** Loads the compiled engine (outside any timing); types come from the sources it was compiled from. */
export async function loadEngine(path: string = DIST_ENGINE): Promise<Engine> {
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first (npm run bench does)`);
  return (await import(pathToFileURL(resolve(path)).href)) as Engine;
}

/** Connects as the sync core would: implicit TLS with only the test CA, or plaintext when asked. */
async function connect(engine: Engine, target: BenchTarget) {
  return engine.connectPop3({
    host: target.host,
    port: target.port,
    // Plaintext only for the latency run (the proxy must read the dialogue), as for mpop.
    ...(target.ca === undefined
      ? { tls: 'none' as const, allowInsecureAuth: true, authMethods: ['USER'] }
      : { tls: 'implicit' as const, ca: target.ca, servername: 'localhost', authMethods: ['PLAIN'] }),
    credentials: { user: target.user, password: target.password },
  });
}

/** Fetches every message once (RETR, pipelined by the engine), discarding the bytes. */
export async function oursFetchAll(engine: Engine, target: BenchTarget): Promise<{ messages: number; bytes: number; elapsedMs: number }> {
  const started = performance.now();
  const session = await connect(engine, target);
  let messages = 0;
  let bytes = 0;
  try {
    const listing = await session.uidl();
    const requests = listing.entries.map((entry) => ({ msg: entry.msg, kind: 'full' as const }));
    for await (const { body } of session.fetch(requests)) {
      for await (const chunk of body) bytes += (chunk as Buffer).length;
      messages += 1;
    }
    await session.quit();
  } catch (error) {
    session.abort(error);
    throw error;
  }
  return { messages, bytes, elapsedMs: performance.now() - started };
}

/** Streams message 1 into sha256 without buffering it: the memory figure's workload. */
export async function oursHashFirst(engine: Engine, target: BenchTarget): Promise<{ messages: number; bytes: number; elapsedMs: number; sha256: string }> {
  const started = performance.now();
  const session = await connect(engine, target);
  const hash = createHash('sha256');
  let bytes = 0;
  let messages = 0;
  try {
    for await (const { body } of session.fetch([{ msg: 1, kind: 'full' as const }])) {
      for await (const chunk of body) {
        bytes += (chunk as Buffer).length;
        hash.update(chunk as Buffer);
      }
      messages += 1;
    }
    await session.quit();
  } catch (error) {
    session.abort(error);
    throw error;
  }
  return { messages, bytes, elapsedMs: performance.now() - started, sha256: hash.digest('hex') };
}
