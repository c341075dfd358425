/**
 * The flag tables of every command. entry.ts imports only this (and not the commands) to answer
 * `--help`, so help stays instant; args.ts parses against the same tables.
 */
import type { CommandSpec, FlagSpec } from '../args.js';

const CONNECTION_FLAGS: readonly FlagSpec[] = [
  { name: 'host', type: 'string', value: 'HOST', help: 'POP3 server host name or address' },
  { name: 'port', type: 'string', value: 'PORT', help: 'port (default 995 for implicit TLS, 110 otherwise)' },
  {
    name: 'tls',
    type: 'string',
    value: 'MODE',
    help: 'implicit (default, port 995) | starttls (STLS, RFC 2595) | none (plaintext: needs --insecure-auth to send a password)',
  },
  { name: 'ca', type: 'string', value: 'FILE', help: 'PEM file of CA certificates to trust (replaces the system CA store)' },
  { name: 'servername', type: 'string', value: 'NAME', help: 'TLS server name (SNI and certificate check), default --host' },
  { name: 'min-tls', type: 'string', value: 'VER', help: 'minimum TLS version: TLSv1.2 (default) | TLSv1.3' },
  { name: 'pin', type: 'string', value: 'SHA256', help: 'pin the server public key: base64 SHA-256 of its SPKI ("sha256//" prefix optional)' },
  { name: 'user', type: 'string', value: 'USER', help: 'login name' },
  { name: 'password-env', type: 'string', value: 'NAME', help: 'read the password from environment variable NAME (never from the command line)' },
  { name: 'password-file', type: 'string', value: 'FILE', help: 'read the password from FILE (first line)' },
  { name: 'mechanisms', type: 'string', value: 'LIST', help: 'allowed auth methods, comma-separated, e.g. SCRAM-SHA-256,PLAIN,USER' },
  { name: 'insecure-auth', type: 'boolean', help: 'allow sending the password over a plaintext connection (--tls none)' },
];

const OUTPUT_FLAGS: readonly FlagSpec[] = [
  { name: 'json', type: 'boolean', help: 'print one JSON document on stdout (logs go to stderr)' },
  { name: 'verbose', type: 'boolean', short: 'v', help: 'debug logs on stderr' },
  { name: 'quiet', type: 'boolean', short: 'q', help: 'only warnings and errors on stderr' },
  { name: 'help', type: 'boolean', short: 'h', help: 'show this help' },
];

/** `pop3-ingest poll` */
export const POLL_SPEC: CommandSpec = {
  name: 'poll',
  summary: 'fetch new mail once: store each message, publish one event each, delete when safe',
  usage: 'pop3-ingest poll (--host HOST --user USER --password-env NAME [options] | --config FILE)',
  description: `Polls one mailbox given by flags, or every mailbox of a config file (bounded concurrency).
New messages are found by UIDL, fetched pipelined, stored raw and announced by one event each;
a message is deleted from the server only once it is stored AND its event is out, and only if
--delete says so. Local by default: messages under --out, events appended to <out>/events.jsonl,
seen-state in <out>/.state, the lease in <out>/.lease. A flag-defined mailbox keeps one id per
--out folder; its seen-state remembers host, port and user, and a poll that points it elsewhere
(even "localhost" after "127.0.0.1") is refused until --accept-new-identity. With --bucket / --event-bus (or the config)
messages go to S3 and events to EventBridge, using the AWS SDK's standard credential, region
and endpoint environment variables.`,
  flags: [
    { name: 'config', type: 'string', short: 'c', value: 'FILE', help: 'JSON config file with one or many mailboxes (see README)' },
    { name: 'mailbox', type: 'string', value: 'ID', help: 'with --config: poll only this mailbox' },
    ...CONNECTION_FLAGS,
    {
      name: 'mailbox-id',
      type: 'string',
      value: 'ID',
      help: 'id for a flag-defined mailbox (default: the one mailbox already in --out, else "default"; so a new --host spelling is caught by the identity check, not polled as a new mailbox)',
    },
    { name: 'mode', type: 'string', value: 'MODE', help: 'full (RETR, default) | headers (TOP n 0: store only the header block)' },
    { name: 'delete', type: 'string', value: 'POLICY', help: 'never (default) | after-store | after-days:N' },
    { name: 'max-messages', type: 'string', value: 'N', help: 'fetch at most N new messages this poll (the rest is backlog)' },
    { name: 'max-bytes', type: 'string', value: 'SIZE', help: 'fetch at most SIZE bytes this poll (LIST sizes), e.g. 200m' },
    { name: 'max-message-size', type: 'string', value: 'SIZE', help: 'larger messages get headers only and a "skipped" event' },
    { name: 'time-limit', type: 'string', value: 'SECONDS', help: 'start no new message after this many seconds' },
    { name: 'accept-new-epoch', type: 'boolean', help: 'accept a mailbox whose UIDs all changed (circuit breaker), once' },
    {
      name: 'accept-new-identity',
      type: 'boolean',
      help: 'accept, once, that the mailbox id now points at another host, port or user (e.g. localhost after 127.0.0.1)',
    },
    { name: 'max-attempts', type: 'string', value: 'N', help: 'failed fetches of one message before it is set aside (1-100, default 3)' },
    { name: 'retry-failed', type: 'boolean', help: 'try the messages that were set aside again (their attempt counts restart)' },
    {
      name: 'parse',
      type: 'boolean',
      help: 'also parse each stored message: <key without .eml>/message.json and attachments/<sha256> beside it (config: "parse": { "attachments": true })',
    },
    { name: 'out', type: 'string', short: 'o', value: 'DIR', help: 'local output folder (default ./pop3-ingest-out)' },
    { name: 'events', type: 'string', value: 'FILE|-', help: 'events file (default <out>/events.jsonl); "-" for stdout (not with --json)' },
    { name: 'bucket', type: 'string', value: 'BUCKET', help: 'store messages, state and lease in this S3 bucket' },
    { name: 'prefix', type: 'string', value: 'PREFIX', help: 'key prefix in the store (default mail/)' },
    { name: 'event-bus', type: 'string', value: 'NAME', help: 'publish events to this EventBridge bus' },
    { name: 'concurrency', type: 'string', value: 'N', help: 'with --config: mailboxes polled at once (default 4)' },
    { name: 'progress', type: 'boolean', help: 'print a progress line every few seconds even when stderr is not a terminal (logs)' },
    ...OUTPUT_FLAGS,
  ],
  examples: [
    'MAIL_PW=... pop3-ingest poll --host pop.example.com --user me@example.com --password-env MAIL_PW',
    'pop3-ingest poll --host mail.local --tls starttls --ca ca.pem --user me --password-file pw.txt --delete after-days:7',
    'pop3-ingest poll --config mailboxes.json --concurrency 8 --json',
  ],
};

/** `pop3-ingest check` */
export const CHECK_SPEC: CommandSpec = {
  name: 'check',
  summary: 'connect and report TLS, certificate, capabilities and what is wrong (like mpop --serverinfo)',
  usage: 'pop3-ingest check --host HOST [--tls MODE] [--user USER --password-env NAME] [options]',
  description: `Connects, reports TLS version, cipher and certificate (subject, issuer, expiry, SHA-256 pin),
the capabilities and auth mechanisms offered, and whether PIPELINING, UIDL and TOP work (tried
for real when there is mail), STAT and the round-trip time of NOOP. Without credentials it shows
what the server says before login. It also says what is wrong and how to fix it: no STLS, no
UIDL, a certificate about to expire, plaintext-only login, EXPIRE or LOGIN-DELAY conflicts.
check never retrieves a whole message and never deletes anything.`,
  flags: [
    { name: 'config', type: 'string', short: 'c', value: 'FILE', help: 'take the connection settings from a config file' },
    { name: 'mailbox', type: 'string', value: 'ID', help: 'with --config: the mailbox to check (default: the first)' },
    ...CONNECTION_FLAGS,
    { name: 'delete', type: 'string', value: 'POLICY', help: 'the delete policy you plan to poll with, to judge EXPIRE against (default never)' },
    { name: 'timeout', type: 'string', value: 'SECONDS', help: 'give up after this many seconds (default 30)' },
    ...OUTPUT_FLAGS,
  ],
  examples: [
    'pop3-ingest check --host pop.example.com',
    'MAIL_PW=... pop3-ingest check --host mail.local --tls starttls --ca ca.pem --user me --password-env MAIL_PW --json',
  ],
};

/** `pop3-ingest demo` */
export const DEMO_SPEC: CommandSpec = {
  name: 'demo',
  summary: 'run the whole pipeline against an embedded POP3 server on 127.0.0.1 (no setup needed)',
  usage: 'pop3-ingest demo [--out DIR] [--json]',
  description: `Starts a small POP3 server on 127.0.0.1 (a port chosen by the OS) holding a few fixed sample
messages (plain text, multipart with an attachment, a non-ASCII RFC 2047 subject), and polls it
into a local folder exactly like "poll" does. Because the demo server is on loopback it runs
WITHOUT TLS and sends its throwaway password in clear, explicitly allowed (--insecure-auth):
never do that with a real server. Run it twice: the second run finds nothing new, because the
seen-state is kept in the folder and the demo mailbox's UIDs are fixed.`,
  flags: [
    { name: 'out', type: 'string', short: 'o', value: 'DIR', help: 'output folder (default ./pop3-ingest-demo)' },
    { name: 'mode', type: 'string', value: 'MODE', help: 'full (default) | headers' },
    { name: 'serve', type: 'boolean', help: 'only run the demo server and print its address, until Ctrl-C' },
    ...OUTPUT_FLAGS,
  ],
  examples: ['pop3-ingest demo', 'pop3-ingest demo --out /tmp/demo --json', 'pop3-ingest demo --serve'],
};

/** `pop3-ingest seed` (lambda/cli/commands/seed.ts) */
export const SEED_SPEC: CommandSpec = {
  name: 'seed',
  summary: 'onboard an existing mailbox: record what is on the server as seen, without downloading it',
  usage: 'pop3-ingest seed (--host HOST --user USER --password-env NAME [options] | --config FILE) [--since DATE]',
  description: `Logs in, lists the mailbox (UIDL, LIST) and records every message in the seen-state as seen,
without RETR: the next poll fetches only mail that arrives afterwards. Seeded messages are never
deleted by pop3-ingest, whatever --delete says later: their bodies were never stored.
With --since DATE each message's header block is read (TOP n 0, pipelined) and messages dated on
or after DATE (their Date header; none or unreadable counts as recent) are left for the next poll.
Takes the mailbox's lease and honours the identity check and LOGIN-DELAY like poll. Seeding again
changes nothing. Same destinations as poll: --out, or --bucket / the config's storage.`,
  flags: [
    { name: 'config', type: 'string', short: 'c', value: 'FILE', help: 'JSON config file; every mailbox is seeded unless --mailbox' },
    { name: 'mailbox', type: 'string', value: 'ID', help: 'with --config: seed only this mailbox' },
    ...CONNECTION_FLAGS,
    { name: 'mailbox-id', type: 'string', value: 'ID', help: 'id for a flag-defined mailbox (default as for poll)' },
    { name: 'since', type: 'string', value: 'DATE', help: 'keep messages dated on/after DATE (2026-03-01 or an ISO date-time) for the next poll' },
    { name: 'accept-new-identity', type: 'boolean', help: 'accept, once, that the mailbox id now points at another host, port or user' },
    { name: 'out', type: 'string', short: 'o', value: 'DIR', help: 'local folder whose seen-state is seeded (default ./pop3-ingest-out)' },
    { name: 'bucket', type: 'string', value: 'BUCKET', help: 'seed the seen-state kept in this S3 bucket' },
    { name: 'prefix', type: 'string', value: 'PREFIX', help: 'key prefix in the store (default mail/)' },
    ...OUTPUT_FLAGS,
  ],
  examples: [
    'MAIL_PW=... pop3-ingest seed --host pop.example.com --user me@example.com --password-env MAIL_PW',
    'pop3-ingest seed --config mailboxes.json --mailbox invoices --since 2026-03-01 --json',
  ],
};

/** `pop3-ingest replay` (lambda/cli/commands/replay.ts) */
export const REPLAY_SPEC: CommandSpec = {
  name: 'replay',
  summary: 'publish again the events of messages already stored (same event ids), without POP3',
  usage: 'pop3-ingest replay [--out DIR | --bucket BUCKET | --config FILE] [--from DATE] [--to DATE] [--dry-run]',
  description: `Re-publishes "Message Stored" (and "Headers Fetched", "Message Skipped" with a stored header
block) for messages whose seen-state firstSeen (when pop3-ingest first saw and stored them) is in
[--from, --to): for a new consumer, or after a consumer bug. Dates are ISO dates (UTC days; a
date-only --to includes that whole day) or ISO date-times (--to exclusive). The events are rebuilt
from the seen-state and the stored objects (metadata and header block) and carry the SAME event
ids as the originals, so consumers that dedupe on the id see nothing twice. No POP3 connection is
made. A message whose object is gone is reported, not fatal. --dry-run prints what would be published.`,
  flags: [
    { name: 'config', type: 'string', short: 'c', value: 'FILE', help: 'JSON config file; every mailbox is replayed unless --mailbox' },
    { name: 'mailbox', type: 'string', value: 'ID', help: 'with --config: replay only this mailbox' },
    { name: 'mailbox-id', type: 'string', value: 'ID', help: 'without --config: the mailbox id (default: the one mailbox in --out)' },
    { name: 'from', type: 'string', value: 'DATE', help: 'first day or instant (inclusive), e.g. 2026-03-01' },
    { name: 'to', type: 'string', value: 'DATE', help: 'last day (inclusive) or instant (exclusive), e.g. 2026-03-31' },
    { name: 'dry-run', type: 'boolean', help: 'publish nothing; print the events that would be published' },
    { name: 'out', type: 'string', short: 'o', value: 'DIR', help: 'local folder of the poll (default ./pop3-ingest-out)' },
    { name: 'events', type: 'string', value: 'FILE|-', help: 'events file (default <out>/events.jsonl); "-" for stdout (not with --json)' },
    { name: 'bucket', type: 'string', value: 'BUCKET', help: 'messages and seen-state in this S3 bucket' },
    { name: 'prefix', type: 'string', value: 'PREFIX', help: 'key prefix in the store (default mail/)' },
    { name: 'event-bus', type: 'string', value: 'NAME', help: 'publish to this EventBridge bus' },
    ...OUTPUT_FLAGS,
  ],
  examples: [
    'pop3-ingest replay --from 2026-03-01 --to 2026-03-31 --dry-run',
    'pop3-ingest replay --config mailboxes.json --mailbox invoices --from 2026-03-14T08:00:00Z --json',
  ],
};

/** Every command, in the order `pop3-ingest --help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [POLL_SPEC, CHECK_SPEC, SEED_SPEC, REPLAY_SPEC, DEMO_SPEC];
