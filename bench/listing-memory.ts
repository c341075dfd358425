/**
 * Issue 9 item 5: what a hostile UIDL + LIST listing costs in memory. A loopback server answers
 * UIDL and LIST with N lines of M octets each (defaults: 40,000 x 8,000, i.e. 320 MB per
 * listing); a fresh client process lists the mailbox through the POP3 mail source (UIDL and LIST
 * pipelined, as the sync core does) and reports its peak RSS (the kernel's high-water mark). A
 * component figure: the engine and mail source only, no sync core.
 *
 *   tsx bench/listing-memory.ts [--lines 40000] [--octets 8000] [--root DIR] [--max-listing-bytes N]
 *
 * `--root` runs the client from another checkout's sources (e.g. the code before the fix:
 * `git archive <commit> lambda | tar -x -C DIR`), so before and after run the same script.
 */
import { spawn } from 'node:child_process';
import type net from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startListingServer } from './listing-server.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

const { values: args } = parseArgs({
  options: {
    lines: { type: 'string', default: '40000' },
    octets: { type: 'string', default: '8000' },
    root: { type: 'string', default: REPO_ROOT },
    'max-listing-bytes': { type: 'string' },
    client: { type: 'string' },
  },
});

if (args.client !== undefined) await client(Number(args.client));
else await main();

async function main(): Promise<void> {
  const lines = Number(args.lines);
  const octets = Number(args.octets);
  const server = await hostileServer(lines, octets);
  const port = (server.address() as net.AddressInfo).port;
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--client', String(port), '--root', args.root,
    ...(args['max-listing-bytes'] === undefined ? [] : ['--max-listing-bytes', args['max-listing-bytes']])], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  server.close();
  const result = JSON.parse(out) as { peakRssMiB: number; outcome: string; baselineRssMiB: number };
  console.log(`listing memory: UIDL + LIST of ${lines} lines x ${octets} octets (${((lines * octets) / 1e6).toFixed(0)} MB each), client from ${args.root === REPO_ROOT ? 'this checkout' : args.root}`);
  console.log(`  outcome: ${result.outcome}`);
  console.log(`  peak RSS ${result.peakRssMiB.toFixed(1)} MiB (process after loading modules: ${result.baselineRssMiB.toFixed(1)} MiB)`);
  process.exitCode = code ?? 1;
}

/** Lines of `octets` octets each: one long UID, or a size followed by filler. */
function hostileServer(lines: number, octets: number): Promise<net.Server> {
  return startListingServer(lines, (kind, i) => {
    const head = kind === 'UIDL' ? `${i} ` : `${i} ${octets} `;
    return head + 'u'.repeat(Math.max(1, octets - head.length - 2));
  }, 'hostile listing server');
}

async function client(port: number): Promise<void> {
  const root = pathToFileURL(`${args.root.replace(/\/$/, '')}/`);
  const { createPop3MailSource } = (await import(new URL('lambda/adapters/pop3/mail-source.ts', root).href)) as typeof import('../lambda/adapters/pop3/mail-source.js');
  const baselineRssMiB = process.memoryUsage().rss / 2 ** 20;
  const maxListingBytes = args['max-listing-bytes'];
  const source = createPop3MailSource({
    host: '127.0.0.1', port, tls: 'none', allowInsecureAuth: true, credentials: { user: 'u', password: 'p' },
    ...(maxListingBytes === undefined ? {} : { limits: { maxListingBytes: Number(maxListingBytes) } }),
  });
  let outcome: string;
  const mailbox = await source.open();
  try {
    const listing = await mailbox.listMessages();
    outcome = `listed: ${listing.listing.length} usable, ${listing.rejected.length} rejected`;
    await mailbox.quit();
  } catch (error) {
    outcome = `refused: ${(error as { code?: string }).code ?? ''} ${(error as Error).message}`;
    mailbox.abort();
  }
  // The kernel's high-water mark: the true peak, however briefly it was reached.
  const peakRssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ peakRssMiB, baselineRssMiB, outcome }));
}
