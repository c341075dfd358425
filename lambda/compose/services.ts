/**
 * The CLI's runtime services: the secret provider and, only when the config asks for them, AWS
 * SDK clients. The SDK is imported lazily here so a local poll (or `--help`) never loads it.
 *
 * Clients use the SDK's standard chain: AWS_REGION / AWS_PROFILE / credentials env vars / SSO,
 * and AWS_ENDPOINT_URL(_S3|_EVENTBRIDGE|_SECRETS_MANAGER) for local emulators.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Config } from '../config/schema.js';
import { LocalSecretProvider } from '../adapters/secrets/local.js';
import type { SecretProvider } from '../adapters/secrets/types.js';

/** What the CLI hands to the composition root (lambda/compose/dependencies.ts). */
export interface CliRuntime {
  secrets: SecretProvider;
  s3?: S3Client;
  eventBridge?: EventBridgeClient;
  /** Release SDK clients (sockets) at the end. */
  close(): void;
}

/** Builds the runtime the config needs: SDK clients only for a bucket, a bus or Secrets Manager. */
export async function createCliRuntime(config: Config, env: NodeJS.ProcessEnv = process.env): Promise<CliRuntime> {
  quietNodeVersionNotice();
  const closers: Array<() => void> = [];
  const runtime: CliRuntime = {
    secrets: new LocalSecretProvider({ env }),
    close: () => {
      for (const c of closers) c();
    },
  };
  if (config.storage.bucket !== undefined) {
    const { S3Client } = await import('@aws-sdk/client-s3');
    // Emulators (MinIO, LocalStack, fauxqs) behind AWS_ENDPOINT_URL need path-style addressing.
    const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
    const client = new S3Client(endpoint === undefined ? {} : { forcePathStyle: true });
    closers.push(() => client.destroy());
    runtime.s3 = client;
  }
  if (config.events.busName !== undefined) {
    const { EventBridgeClient } = await import('@aws-sdk/client-eventbridge');
    const client = new EventBridgeClient({});
    closers.push(() => client.destroy());
    runtime.eventBridge = client;
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
  const [{ SecretsManagerClient }, { SecretsManagerProvider }] = await Promise.all([
    import('@aws-sdk/client-secrets-manager'),
    import('../adapters/secrets/secrets-manager.js'),
  ]);
  const client = new SecretsManagerClient({});
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
