/**
 * The composition root, shared by the Lambda handler and the CLI: turns one mailbox of a
 * validated configuration into the sync core's ports. S3 and EventBridge when the config names
 * a bucket / bus (with the clients the entry point built in aws-clients.ts), a local folder and
 * JSON lines otherwise. Adapters are imported lazily, so a local CLI poll never loads the AWS SDK.
 *
 * Credentials are resolved when the session opens, not here: the OAuth2 token is fresh at login,
 * and after an auth failure (secret invalidated) the same dependencies log in with the new value.
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { createPop3MailSource } from '../adapters/pop3/mail-source.js';
import { OAuthTokenProvider } from '../adapters/oauth/token-provider.js';
import type { SecretProvider } from '../adapters/secrets/types.js';
import { observeMailSource, type SourceErrorObserver } from './observed-source.js';
import type { Clock, EventPublisher, LeaseStore, Logger, MailboxSession, MailSource, MessageStore, ParsedObjectStore, StateStore, StoredMessageReader } from '../sync/ports.js';
import type { ReplayDependencies } from '../sync/replay.js';
import type { PollDependencies } from '../sync/types.js';
import { explainConnectError } from './connect-errors.js';
import { readCaFile, resolveCredentials, toConnectOptions } from './connect-options.js';
import { ConfigError } from '../config/errors.js';
import type { Config, MailboxConfig } from '../config/schema.js';

/** Where the local adapters write when no bucket / bus is configured (CLI, tests). */
export interface LocalTargets {
  /** Messages go here; the seen-state under `<dir>/.state`, the lease under `<dir>/.lease`. */
  dir: string;
  /** JSON-lines events file (created 0600, appended). */
  eventsFile?: string;
  /** Or a stream (stdout). */
  eventsStream?: NodeJS.WritableStream;
}

/**
 * The adapter modules an entry point can load. The CLI loads them lazily (LAZY_PORTS in
 * services.ts: a local poll never loads the SDK); the handler bundle imports aws-ports.ts
 * statically, since a dynamic import makes esbuild keep every SDK command.
 */
export interface PortModules {
  aws?: () => Promise<typeof import('./aws-ports.js')>;
  local?: () => Promise<typeof import('./local-ports.js')>;
}

/** The services an entry point hands to the composition root. */
export interface WiringRuntime {
  secrets: SecretProvider;
  /** Where the S3 / EventBridge and local-folder adapters come from. */
  ports: PortModules;
  s3?: S3Client;
  eventBridge?: EventBridgeClient;
  local?: LocalTargets;
  logger?: Logger;
  /** One per container, to reuse tokens across polls (default: one per SecretProvider). */
  oauth?: OAuthTokenProvider;
  /** Sees every error of the mail source (the handler counts POP3 response codes with it). */
  onSourceError?: SourceErrorObserver;
  clock?: Clock;
}

/** Builds the ports for one poll of `mailbox`. Throws ConfigError when no target is configured or given. */
export async function buildPollDependencies(mailbox: MailboxConfig, config: Config, runtime: WiringRuntime): Promise<PollDependencies> {
  const [stores, publisher] = await Promise.all([buildStores(config, runtime), buildPublisher(config, runtime)]);
  const source = buildMailSource(mailbox, runtime);
  const deps: PollDependencies = {
    source: runtime.onSourceError ? observeMailSource(source, runtime.onSourceError) : source,
    ...stores,
    publisher,
  };
  if (runtime.clock) deps.clock = runtime.clock;
  if (runtime.logger) deps.logger = runtime.logger;
  if (mailbox.parse) deps.parsed = await buildParsedStore(config, runtime);
  return deps;
}

/** Parsed objects go beside the raw messages: the same bucket, or the same folder. */
async function buildParsedStore(config: Config, runtime: WiringRuntime): Promise<ParsedObjectStore> {
  const bucket = config.storage.bucket;
  if (bucket !== undefined) {
    const client = requireClient(runtime.s3, 'an S3 client');
    return (await requirePorts(runtime.ports.aws, 'the AWS adapters')).s3ParsedStore(client, bucket);
  }
  const local = requireLocal(runtime, 'storage.bucket');
  return (await requirePorts(runtime.ports.local, 'the local adapters')).folderParsedStore(local.dir);
}

/**
 * The ports of a replay (sync/replay.ts): the seen-state, a reader of the stored messages and
 * the publisher, chosen like a poll's. No mail source at all: a replay never opens a POP3 session.
 */
export async function buildReplayDependencies(config: Pick<Config, 'storage' | 'events'>, runtime: WiringRuntime): Promise<ReplayDependencies> {
  const [stores, publisher] = await Promise.all([buildReadStores(config, runtime), buildPublisher(config, runtime)]);
  return { ...stores, publisher, ...(runtime.clock ? { clock: runtime.clock } : {}), ...(runtime.logger ? { logger: runtime.logger } : {}) };
}

async function buildReadStores(config: Pick<Config, 'storage'>, runtime: WiringRuntime): Promise<{ state: StateStore; reader: StoredMessageReader }> {
  const bucket = config.storage.bucket;
  if (bucket !== undefined) {
    const client = requireClient(runtime.s3, 'an S3 client');
    return (await requirePorts(runtime.ports.aws, 'the AWS adapters')).s3ReadStores(client, bucket, config.storage.statePrefix);
  }
  const local = requireLocal(runtime, 'storage.bucket');
  return (await requirePorts(runtime.ports.local, 'the local adapters')).folderReadStores(local.dir);
}

/** The OAuth2 token provider the wiring uses for `secrets` when the runtime gives none. */
export function oauthProviderFor(secrets: SecretProvider, logger?: Logger): OAuthTokenProvider {
  let provider = defaultOAuth.get(secrets);
  if (!provider) {
    provider = new OAuthTokenProvider({ secrets, ...(logger ? { logger } : {}) });
    defaultOAuth.set(secrets, provider);
  }
  return provider;
}

// ---------------------------------------------------------------------------------------------

const defaultOAuth = new WeakMap<SecretProvider, OAuthTokenProvider>();

/** A MailSource that resolves credentials and the CA file at each open(). */
function buildMailSource(mailbox: MailboxConfig, runtime: WiringRuntime): MailSource {
  const oauth = runtime.oauth ?? oauthProviderFor(runtime.secrets, runtime.logger);
  const logger = runtime.logger;
  return {
    async open(signal?: AbortSignal): Promise<MailboxSession> {
      const [credentials, ca] = await Promise.all([resolveCredentials(mailbox, runtime.secrets, oauth, signal), readCaFile(mailbox)]);
      const options = toConnectOptions(mailbox, credentials, ca === undefined ? {} : { ca });
      if (logger) {
        // The engine logs masked commands and escaped server text only.
        options.logger = { debug: (message, fields) => logger.debug(message, { mailboxId: mailbox.id, ...fields }) };
      }
      try {
        return await createPop3MailSource(options).open(signal);
      } catch (error) {
        throw explainConnectError(error, { host: mailbox.host, port: mailbox.port, tls: mailbox.tls.mode });
      }
    },
  };
}

async function buildStores(config: Config, runtime: WiringRuntime): Promise<{ store: MessageStore; state: StateStore; lease: LeaseStore }> {
  const bucket = config.storage.bucket;
  if (bucket !== undefined) {
    const client = requireClient(runtime.s3, 'an S3 client');
    const aws = await requirePorts(runtime.ports.aws, 'the AWS adapters');
    return aws.s3Stores(client, bucket, config.storage.statePrefix, runtime.clock);
  }
  const local = requireLocal(runtime, 'storage.bucket');
  return (await requirePorts(runtime.ports.local, 'the local adapters')).folderStores(local.dir, runtime.clock);
}

async function buildPublisher(config: Pick<Config, 'events'>, runtime: WiringRuntime): Promise<EventPublisher> {
  const { busName, source } = config.events;
  if (busName !== undefined) {
    const client = requireClient(runtime.eventBridge, 'an EventBridge client');
    const aws = await requirePorts(runtime.ports.aws, 'the AWS adapters');
    return aws.eventBridgePublisher(client, busName, source);
  }
  const local = requireLocal(runtime, 'events.busName');
  return (await requirePorts(runtime.ports.local, 'the local adapters')).jsonLinesPublisher(local, source);
}

function requireLocal(runtime: WiringRuntime, field: string): LocalTargets {
  if (runtime.local) return runtime.local;
  throw new ConfigError('CONFIG_MISSING', `${field} is not configured and this runtime has no local folder: set ${field} in the configuration`, [
    { path: field, message: 'required in this runtime' },
  ]);
}

function requirePorts<T>(load: (() => Promise<T>) | undefined, what: string): Promise<T> {
  if (load === undefined) throw new Error(`composition: ${what} are required for this configuration and were not given`);
  return load();
}

/** The entry points build a client for every configured bucket and bus; a missing one is a wiring bug. */
function requireClient<T>(client: T | undefined, what: string): T {
  if (client === undefined) throw new Error(`composition: ${what} is required for this configuration and was not given`);
  return client;
}
