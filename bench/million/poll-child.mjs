// One simulated invocation of a poll for bench/million/run.ts, in its own process so its peak
// RSS is its own: the production sync core, POP3 mail source, local state and lease stores
// (dist/, built JS: no TypeScript loader in the measured process). Objects go to a sink that
// reads and hashes each body (the benchmark measures the seen-state, not a store); events are
// acknowledged. Prints one JSON line.
import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { readFileSync } from 'node:fs';
import { pollMailbox } from '../../dist/lambda/sync/poll.js';
import { createPop3MailSource } from '../../dist/lambda/adapters/pop3/mail-source.js';
import { FileStateStore } from '../../dist/lambda/adapters/local/state-file.js';
import { FileLeaseStore } from '../../dist/lambda/adapters/local/lease-file.js';

const job = JSON.parse(process.argv[2]);
// Peak RSS is this process's VmHWM, not getrusage's maxRSS: on Linux that keeps the high-water
// mark of the image before exec, i.e. the parent's RSS at spawn (the bench runner, which holds
// a synthesized state of N UIDs), and so reported the runner's size instead of the poll's.
const vmHwmKiB = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0);
// The peak so far at each step of the poll: which step sets the peak.
const phases = {};
const mark = (name) => { phases[name] = vmHwmKiB(); };
mark('start');
const rssAfterImport = process.memoryUsage().rss;
const traffic = { read: 0, written: 0, reads: 0, writes: 0 };
const files = new FileStateStore({ dir: job.stateDir });
const state = {
  async load(id) { const r = await files.load(id); traffic.reads += 1; traffic.read += r?.body.length ?? 0; return r; },
  async save(id, body, expected) { traffic.writes += 1; traffic.written += body.length; return files.save(id, body, expected); },
  async putSegment(id, name, body) { traffic.writes += 1; traffic.written += body.length; return files.putSegment(id, name, body); },
  async getSegment(id, name) { const b = await files.getSegment(id, name); traffic.reads += 1; traffic.read += b?.length ?? 0; return b; },
  deleteSegments: (id, names) => files.deleteSegments(id, names),
};
const store = {
  async put(request) {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of request.body) { hash.update(chunk); size += chunk.length; }
    return { status: 'stored', location: { bucket: 'sink', key: request.key }, size, sha256: hash.digest('hex') };
  },
  async commit() {},
};
const publisher = { async publish(events) { mark('published'); return events.map((e) => ({ id: e.id, ok: true })); } };
const pop3 = createPop3MailSource({
  host: job.host, port: job.port, tls: 'implicit', ca: readFileSync(job.caFile, 'utf8'),
  credentials: { user: job.user, password: job.password },
});
const source = {
  async open(signal) {
    mark('stateLoaded');
    const session = await pop3.open(signal);
    return {
      get capabilities() { return session.capabilities; },
      async listMessages(known) { mark('loggedIn'); const listed = await session.listMessages(known); mark('listed'); return listed; },
      fetch: (requests) => session.fetch(requests),
      markDeleted: (msgs) => session.markDeleted(msgs),
      async quit() { mark('planned'); return session.quit(); },
      abort: (reason) => session.abort(reason),
    };
  },
};
const policy = { id: job.mailboxId, mode: 'full', delete: { kind: 'never' }, limits: job.maxMessages ? { maxMessages: job.maxMessages } : {} };
const started = performance.now();
const summary = await pollMailbox(policy, { source, store, publisher, state, lease: new FileLeaseStore({ dir: job.stateDir }) });
const elapsedMs = performance.now() - started;
mark('polled');
process.stdout.write(`${JSON.stringify({
  status: summary.status, error: summary.error, stored: summary.stored, newMessages: summary.newMessages, serverMessages: summary.serverMessages,
  elapsedMs, peakRssKiB: vmHwmKiB(), rssAfterImportKiB: Math.round(rssAfterImport / 1024), traffic, peakKiBAt: phases,
})}\n`);
