/**
 * Every configuration default in one place, so the schema, the CLI, the CDK stack and the docs
 * cannot drift apart. Change a default here and nowhere else.
 */
import { SYNC_LIMITS } from '../sync/limits.js';

/** Defaults applied by ConfigSchema when a field is left out. */
export const CONFIG_DEFAULTS = {
  /** Secure by default: RFC 8314 section 3.3 prefers implicit TLS over STARTTLS. */
  tlsMode: 'implicit',
  /** RFC 8996 deprecates TLS 1.0/1.1; 1.2 is the floor. */
  tlsMinVersion: 'TLSv1.2',
  /** RFC 8314 section 7.4: 995 is pop3s (implicit TLS); RFC 1939 section 3: 110 otherwise. */
  portImplicitTls: 995,
  portPlain: 110,
  fetchMode: 'full',
  /** No mail ever lost: nothing is deleted from the server unless the config says so. */
  deletePolicy: 'never',
  /** A larger message is stored headers-only (see PollLimits.maxMessageSize); the sync core's default. */
  maxMessageSize: SYNC_LIMITS.defaultMaxMessageSize,
  /** EventBridge Scheduler expression for each mailbox's poll. */
  schedule: 'rate(5 minutes)',
  storagePrefix: 'mail/',
  /** Prefix of the control documents: `<statePrefix>state/<id>.json`, `<statePrefix>lease/<id>.json`. */
  statePrefix: '',
  eventSource: 'pop3-ingest',
  /** Field of a JSON secret that holds the password when `field` is not given. */
  secretPasswordField: 'password',
  /** Failed fetch attempts of one UID before it is set aside ("Message Failed"); 1..100. */
  maxAttempts: 3,
  /** Mailbox id of a CLI mailbox described by flags: one per --out folder (see lambda/cli/flags-config.ts). */
  cliMailboxId: 'default',
  /** Mailboxes polled at once (CLI --concurrency, the handler's POP3_INGEST_CONCURRENCY). */
  concurrency: 4,
} as const;
