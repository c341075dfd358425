/**
 * The services a poll needs beyond the configuration: the secret provider and, only when the
 * config asks for them, AWS SDK clients (built in aws-clients.ts, the one place that knows the
 * endpoint and region rules). The CLI calls this per run; the SDK is imported lazily so a local
 * poll (or `--help`) never loads it. The Lambda handler builds its clients once per container
 * (handler-runtime.ts), from the same aws-clients.ts.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Config } from '../config/schema.js';
import { LocalSecretProvider } from '../adapters/secrets/local.js';
import type { SecretProvider } from '../adapters/secrets/types.js';
import type { PortModules } from './dependencies.js';

/** Both adapter families, each loaded on first use. */
export const LAZY_PORTS: PortModules = {
  aws: () => import('./aws-ports.js'),
  local: () => import('./local-ports.js'),
};

/** What an entry point hands to the composition root (dependencies.ts) for a run. */
export interface PollServices {
  secrets: SecretProvider;
  ports: PortModules;
  s3?: S3Client;
  eventBridge?: EventBridgeClient;
  /** Release SDK clients (sockets) at the end. */
  close(): void;
}

/** The CLI's name for the services of one run. */
export type CliRuntime = PollServices;

/** Builds the services the config needs: SDK clients only for a bucket, a bus or Secrets Manager. */
export async function createCliRuntime(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<PollServices> {
  quietNodeVersionNotice();
  const closers: Array<() => void> = [];
  const runtime: PollServices = {
    secrets: new LocalSecretProvider({ env }),
    ports: LAZY_PORTS,
    close: () => {
      for (const c of closers) c();
    },
  };
  const wantsS3 = config.storage.bucket !== undefined;
  const bus = config.events.busName;
  if (wantsS3 || bus !== undefined) {
    const clients = await import('./aws-clients.js');
    if (wantsS3) {
      const client = clients.createS3Client(env);
      closers.push(() => client.destroy());
      runtime.s3 = client;
    }
    if (bus !== undefined) {
      const client = clients.createEventBridgeClient(bus);
      closers.push(() => client.destroy());
      runtime.eventBridge = client;
    }
  }
  const secrets = await createSecretProvider(config, env);
  runtime.secrets = secrets.provider;
  closers.push(secrets.close);
  return runtime;
}

/** Env and file secrets locally; Secrets Manager (SDK loaded lazily) only when a mailbox uses it. */
export async function createSecretProvider(
  config: Config,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ provider: SecretProvider; close(): void }> {
  const local = new LocalSecretProvider({ env });
  if (!config.mailboxes.some((m) => 'secretsManager' in m.auth.secret)) return { provider: local, close: () => undefined };
  quietNodeVersionNotice();
  const [{ createSecretsManagerClient }, { SecretsManagerProvider }] = await Promise.all([
    import('./aws-clients.js'),
    import('../adapters/secrets/secrets-manager.js'),
  ]);
  const client = createSecretsManagerClient();
  return { provider: new SecretsManagerProvider({ client, local }), close: () => client.destroy() };
}

/**
 * The AWS SDK prints a multi-line NodeVersionSupportWarning on every run under Node < 22 (its
 * releases after January 2027 will need Node 22). pop3-ingest supports Node 20 (package.json
 * engines; README "Troubleshooting"), so that notice is noise a user would learn to ignore:
 * it is switched off with the SDK's own variable, unless the user set that variable.
 */
export function quietNodeVersionNotice(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}
