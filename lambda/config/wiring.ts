/**
 * The composition root, shared by the Lambda handler and the CLI: turns one mailbox of a
 * validated configuration into the sync core's ports. S3 and EventBridge when the config names
 * a bucket / bus, a local folder and JSON lines otherwise. SDK adapters are imported lazily, so
 * a local CLI poll never loads the AWS SDK.
 *
 * Credentials are resolved when the session opens, not here: the OAuth2 token is fresh at login,
 * and after an auth failure (secret invalidated) the same dependencies log in with the new value.
 */
import { join } from 'node:path';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { createPop3MailSource } from '../adapters/pop3/mail-source.js';
import { OAuthTokenProvider } from '../adapters/oauth/token-provider.js';
import type { SecretProvider } from '../adapters/secrets/types.js';
import { observeMailSource, type SourceErrorObserver } from '../observability/observed-source.js';
import type { Clock, EventPublisher, LeaseStore, Logger, MailboxSession, MailSource, MessageStore, ParsedObjectStore, StateStore } from '../sync/ports.js';
import type { PollDependencies } from '../sync/types.js';
import { explainConnectError } from './connect-errors.js';
import { readCaFile, resolveCredentials, toConnectOptions } from './connect-options.js';
import { ConfigError } from './errors.js';
import type { Config, MailboxConfig } from './schema.js';

/** Where the local adapters write when no bucket / bus is configured (CLI, tests). */
export interface LocalTargets {
  /** Messages go here; the seen-state under `<dir>/.state`, the lease under `<dir>/.lease`. */
  dir: string;
  /** JSON-lines events file (created 0600, appended). */
  eventsFile?: string;
  /** Or a stream (stdout). */
  eventsStream?: NodeJS.WritableStream;
}

/** The services an entry point hands to the composition root. */
export interface WiringRuntime {
  secrets: SecretProvider;
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
    const [client, { S3ParsedStore }] = await Promise.all([runtime.s3 ?? defaultS3Client(), import('../adapters/s3/parsed-store.js')]);
    return new S3ParsedStore({ client, bucket });
  }
  const { FolderParsedStore } = await import('../adapters/local/parsed-folder.js');
  return new FolderParsedStore({ dir: requireLocal(runtime, 'storage.bucket').dir });
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
    const [client, { S3MessageStore }, { S3StateStore }, { S3LeaseStore }] = await Promise.all([
      runtime.s3 ?? defaultS3Client(),
      import('../adapters/s3/message-store.js'),
      import('../adapters/s3/state-store.js'),
      import('../adapters/s3/lease-store.js'),
    ]);
    const prefix = config.storage.statePrefix;
    return {
      store: new S3MessageStore({ client, bucket }),
      state: new S3StateStore({ client, bucket, prefix }),
      lease: new S3LeaseStore({ client, bucket, prefix, ...(runtime.clock ? { clock: runtime.clock } : {}) }),
    };
  }
  const local = requireLocal(runtime, 'storage.bucket');
  const [{ FolderMessageStore }, { FileStateStore }, { FileLeaseStore }] = await Promise.all([
    import('../adapters/local/folder-store.js'),
    import('../adapters/local/state-file.js'),
    import('../adapters/local/lease-file.js'),
  ]);
  return {
    store: new FolderMessageStore({ dir: local.dir }),
    state: new FileStateStore({ dir: join(local.dir, '.state') }),
    lease: new FileLeaseStore({ dir: join(local.dir, '.lease'), ...(runtime.clock ? { clock: runtime.clock } : {}) }),
  };
}

async function buildPublisher(config: Config, runtime: WiringRuntime): Promise<EventPublisher> {
  const { busName, source } = config.events;
  if (busName !== undefined) {
    const [client, { EventBridgePublisher }] = await Promise.all([
      runtime.eventBridge ?? defaultEventBridgeClient(),
      import('../adapters/eventbridge/publisher.js'),
    ]);
    return new EventBridgePublisher({ client, eventBusName: busName, source });
  }
  const local = requireLocal(runtime, 'events.busName');
  const { JsonLinesPublisher } = await import('../adapters/local/jsonl-publisher.js');
  if (local.eventsStream) return new JsonLinesPublisher({ stream: local.eventsStream, source });
  return new JsonLinesPublisher({ file: local.eventsFile ?? join(local.dir, 'events.jsonl'), source });
}

function requireLocal(runtime: WiringRuntime, field: string): LocalTargets {
  if (runtime.local) return runtime.local;
  throw new ConfigError('CONFIG_MISSING', `${field} is not configured and this runtime has no local folder: set ${field} in the configuration`, [
    { path: field, message: 'required in this runtime' },
  ]);
}

// Created only when a bucket or bus is configured but the entry point passed no client.
let s3Default: Promise<S3Client> | undefined;
let eventBridgeDefault: Promise<EventBridgeClient> | undefined;

function defaultS3Client(): Promise<S3Client> {
  s3Default ??= import('@aws-sdk/client-s3').then(({ S3Client }) => new S3Client({}));
  return s3Default;
}

function defaultEventBridgeClient(): Promise<EventBridgeClient> {
  eventBridgeDefault ??= import('@aws-sdk/client-eventbridge').then(({ EventBridgeClient }) => new EventBridgeClient({}));
  return eventBridgeDefault;
}
