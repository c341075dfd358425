/**
 * Container-level services of the Lambda handler, created once per container (outside the
 * handler) and reused by every invocation: SDK clients, the cached secret and token providers,
 * the logger, and the configuration parsed on first use.
 *
 * Configuration (documented in the README; names in contract.ts):
 * - POP3_INGEST_CONFIG: the configuration as a JSON string (wins over the file), or
 * - POP3_INGEST_CONFIG_FILE: a path to a JSON file inside the bundle (read once per container;
 *   the CDK construct ships it as /var/task/pop3-ingest.config.json).
 * - POP3_INGEST_BUCKET, POP3_INGEST_EVENT_BUS: when set, replace storage.bucket and events.busName
 *   of either source (the construct's bucket and bus are only known at deploy time, after the
 *   bundled file is written). A bus ARN in another region sends PutEvents to that region.
 * - POP3_INGEST_CONCURRENCY: mailboxes polled at once for `{ "mailboxId": "*" }` (default 4).
 * - POP3_INGEST_MAX_EVENT_AGE_S, POP3_INGEST_INVOKE_RETRIES: the function's async retry
 *   settings, for the throw-or-return decision (retry-age.ts).
 * - POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE (default Pop3Ingest), POWERTOOLS_LOG_LEVEL.
 * - AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL: an S3-compatible endpoint (path-style addressing).
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { S3Client } from '@aws-sdk/client-s3';
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { OAuthTokenProvider } from '../adapters/oauth/token-provider.js';
import { LocalSecretProvider } from '../adapters/secrets/local.js';
import { SecretsManagerProvider } from '../adapters/secrets/secrets-manager.js';
import type { SecretProvider } from '../adapters/secrets/types.js';
import { ConfigError } from '../config/errors.js';
import { loadConfigFile, loadConfigText } from '../config/load.js';
import { CONFIG_DEFAULTS } from '../config/defaults.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../sync/ports.js';
import { asyncRetrySettings, HANDLER_ENV, METRICS, type AsyncRetrySettings } from '../handler/contract.js';
import { createEventBridgeClient, createS3Client, createSecretsManagerClient } from './aws-clients.js';
import * as awsPorts from './aws-ports.js';
import type { PortModules } from './dependencies.js';

/** Everything an invocation needs that outlives it. */
export interface HandlerRuntime {
  /** The validated configuration (parsed once; a ConfigError is rejected again on each call). */
  config(): Promise<Config>;
  secrets: SecretProvider;
  /** S3 and EventBridge only: a function has no local folder. */
  ports: PortModules;
  oauth: OAuthTokenProvider;
  s3: S3Client;
  eventBridge: EventBridgeClient;
  /** Structured JSON logs; never pass secrets (Secret values print as [redacted] regardless). */
  logger: PowertoolsLogger;
  /** For ColdStart; per-mailbox metrics get their own instances (see metrics.ts). */
  metrics: Metrics;
  /** The service dimension and namespace every metric carries (handler/metrics.ts MetricsBase). */
  metricsBase: { serviceName: string; namespace: string };
  concurrency: number;
  /** The function's async retry settings, when the stack set them. */
  asyncRetry?: AsyncRetrySettings;
}

const DEFAULT_SERVICE = 'pop3-ingest';

/** Builds the container's runtime from the environment. Never throws: config errors surface per invocation. */
export function createHandlerRuntime(env: NodeJS.ProcessEnv = process.env): HandlerRuntime {
  const serviceName = env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE;
  const namespace = env.POWERTOOLS_METRICS_NAMESPACE || METRICS.namespace;
  const logger = new PowertoolsLogger({ serviceName });
  const secrets = new SecretsManagerProvider({
    client: createSecretsManagerClient(),
    local: new LocalSecretProvider({ env }),
  });
  const concurrency = Number.parseInt(env[HANDLER_ENV.concurrency] ?? '', 10);
  const asyncRetry = asyncRetrySettings(env[HANDLER_ENV.maxEventAgeSeconds], env[HANDLER_ENV.invokeRetryAttempts]);
  return {
    config: configLoader(env),
    secrets,
    // A static import: a dynamic one would make esbuild keep every command of the SDK clients.
    ports: { aws: () => Promise.resolve(awsPorts) },
    oauth: new OAuthTokenProvider({ secrets, logger: portLogger(logger) }),
    s3: createS3Client(env),
    eventBridge: createEventBridgeClient(env[HANDLER_ENV.eventBus]),
    logger,
    metrics: new Metrics({ namespace, serviceName }),
    metricsBase: { serviceName, namespace },
    concurrency: Number.isFinite(concurrency) && concurrency > 0 ? concurrency : CONFIG_DEFAULTS.concurrency,
    ...(asyncRetry === undefined ? {} : { asyncRetry }),
  };
}

/** Adapts the Powertools logger to the ports' Logger, adding fixed fields (e.g. mailboxId). */
export function portLogger(logger: PowertoolsLogger, fixed: Record<string, unknown> = {}): Logger {
  const merge = (fields?: Record<string, unknown>) => ({ ...fixed, ...fields });
  return {
    debug: (message, fields) => logger.debug(message, merge(fields)),
    info: (message, fields) => logger.info(message, merge(fields)),
    warn: (message, fields) => logger.warn(message, merge(fields)),
    error: (message, fields) => logger.error(message, merge(fields)),
  };
}

/** Parses the configuration once per container; remembers a failure too (it cannot heal itself). */
function configLoader(env: NodeJS.ProcessEnv): () => Promise<Config> {
  let outcome: Promise<Config> | undefined;
  return () => (outcome ??= loadConfig(env));
}

async function loadConfig(env: NodeJS.ProcessEnv): Promise<Config> {
  return withDeployedResources(await loadConfigSource(env), env);
}

/** Applies POP3_INGEST_BUCKET / POP3_INGEST_EVENT_BUS (set by the stack from resolved resources). */
function withDeployedResources(config: Config, env: NodeJS.ProcessEnv): Config {
  const bucket = env[HANDLER_ENV.bucket]?.trim();
  const busName = env[HANDLER_ENV.eventBus]?.trim();
  return {
    ...config,
    storage: bucket ? { ...config.storage, bucket } : config.storage,
    events: busName ? { ...config.events, busName } : config.events,
  };
}

async function loadConfigSource(env: NodeJS.ProcessEnv): Promise<Config> {
  const inline = env[HANDLER_ENV.config];
  if (inline !== undefined && inline.trim() !== '') return loadConfigText(inline, HANDLER_ENV.config);
  const file = env[HANDLER_ENV.configFile];
  if (file !== undefined && file.trim() !== '') return loadConfigFile(file);
  throw new ConfigError('CONFIG_MISSING', `No configuration: set ${HANDLER_ENV.config} (JSON) or ${HANDLER_ENV.configFile} (path to a JSON file)`);
}
