/**
 * Issue 15: what the idle poll's listing costs per message. A loopback server answers UIDL and
 * LIST with N ordinary lines (20-character UIDs, sizes 2-20 KB); a fresh client process lists
 * the mailbox through the POP3 mail source, then compares the listing with an empty seen-state
 * (one UID hash per listed message, the idle path's match), and reports time and memory of each
 * step. A component figure: engine, mail source and match only.
 *
 *   tsx bench/listing-idle.ts [--lines 200000] [--reps 3] [--root DIR]
 *
 * `--root` runs the client from another checkout's sources (before/after on the same script).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startListingServer } from './listing-server.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '200000' },
    reps: { type: 'string', default: '3' },
    root: { type: 'string', default: REPO_ROOT },
    client: { type: 'string' },
  },
});

interface Sample { listMs: number; matchMs: number; peakDeltaBytes: number; heapAfterBytes: number; listed: number }

if (args.client !== undefined) await client(Number(args.client));
else await main();

async function main(): Promise<void> {
  const lines = Number(args.lines);
  const server = await listingServer(lines);
  const port = (server.address() as net.AddressInfo).port;
  const samples: Sample[] = [];
  for (let r = 0; r < Number(args.reps); r++) {
    const child = spawn(process.execPath, ['--expose-gc', ...(process.env.LISTING_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.LISTING_CPU_PROF] : []), ...process.execArgv, fileURLToPath(import.meta.url), '--client', String(port), '--root', args.root],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    if (code !== 0) throw new Error(`client exited with ${code}`);
    samples.push(JSON.parse(out) as Sample);
  }
  server.close();
  const median = (f: (s: Sample) => number): number => samples.map(f).sort((a, b) => a - b)[samples.length >> 1] as number;
  console.log(`listing idle: UIDL + LIST of ${lines} messages, client from ${args.root === REPO_ROOT ? 'this checkout' : args.root}, median of ${samples.length}, load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}`);
  console.log(`  listMessages ${median((s) => s.listMs).toFixed(0)} ms, match ${median((s) => s.matchMs).toFixed(0)} ms`);
  console.log(`  peak RSS over the process before listing: ${(median((s) => s.peakDeltaBytes) / lines).toFixed(0)} B per message; heap held by the listing and match (after GC): ${(median((s) => s.heapAfterBytes) / lines).toFixed(0)} B per message`);
  console.log(`  samples: ${JSON.stringify(samples)}`);
}

/** Dovecot-like entries: 20-character UIDs, sizes 2-20 KB. */
function listingServer(lines: number): Promise<net.Server> {
  return startListingServer(lines, (kind, i) =>
    kind === 'UIDL' ? `${i} ${(0x10000000 + i).toString(16)}5f3a2b${(i * 2654435761 >>> 0).toString(16).padStart(8, '0')}` : `${i} ${2000 + (i * 7919) % 18000}`,
  'listing server');
}

function heapBytes(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function vmHwmBytes(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

async function client(port: number): Promise<void> {
  const root = pathToFileURL(`${args.root.replace(/\/$/, '')}/`);
  const { createPop3MailSource } = (await import(new URL('lambda/adapters/pop3/mail-source.ts', root).href)) as typeof import('../lambda/adapters/pop3/mail-source.js');
  const { SeenEntries } = (await import(new URL('lambda/sync/seen-entries.ts', root).href)) as typeof import('../lambda/sync/seen-entries.js');
  const source = createPop3MailSource({ host: '127.0.0.1', port, tls: 'none', allowInsecureAuth: true, credentials: { user: 'u', password: 'p' } });
  const mailbox = await source.open();
  globalThis.gc?.();
  const heapBefore = heapBytes();
  const before = vmHwmBytes();
  const t0 = performance.now();
  // An export of older code (--root) returns `messages`, an array; this code a columnar `listing`.
  const listed = (await mailbox.listMessages()) as unknown as { listing?: { length: number }; messages?: unknown[] };
  const listing = (listed.listing ?? listed.messages) as Parameters<InstanceType<typeof SeenEntries>['match']>[0];
  const t1 = performance.now();
  const entries = new SeenEntries('bench-mailbox');
  const match = entries.match(listing);
  const t2 = performance.now();
  const peakDeltaBytes = vmHwmBytes() - before;
  globalThis.gc?.();
  const heapAfterBytes = heapBytes() - heapBefore;
  await mailbox.quit();
  const sample: Sample = { listMs: t1 - t0, matchMs: t2 - t1, peakDeltaBytes, heapAfterBytes, listed: listing.length + match.knownListed };
  process.stdout.write(JSON.stringify(sample));
}
