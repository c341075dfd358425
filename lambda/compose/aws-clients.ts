/**
 * The AWS SDK clients, built the same way for the Lambda handler and the CLI: the SDK's standard
 * chain for region and credentials (AWS_REGION, AWS_PROFILE, the credential variables; in Lambda,
 * the function's role), plus the two rules of this project:
 * - AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL (an S3-compatible store, a loopback emulator in tests)
 *   means path-style addressing: such endpoints have no per-bucket host names.
 * - PutEvents goes to the region of the bus: a bus ARN in another region names its endpoint.
 * Named imports only, so the handler bundle carries the commands the adapters use and no more.
 */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** An S3 client; path-style when an endpoint override is set. */
export function createS3Client(env: NodeJS.ProcessEnv = process.env): S3Client {
  const endpoint = env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return new S3Client(endpoint === undefined ? {} : { forcePathStyle: true });
}

/** An EventBridge client for `bus` (a name or an ARN): in the ARN's region when it names one. */
export function createEventBridgeClient(bus?: string): EventBridgeClient {
  const region = arnRegion(bus);
  return new EventBridgeClient(region === undefined ? {} : { region });
}

/** A Secrets Manager client. */
export function createSecretsManagerClient(): SecretsManagerClient {
  return new SecretsManagerClient({});
}

/** The region field of an ARN (`arn:partition:service:region:account:...`), if the value is one. */
export function arnRegion(value: string | undefined): string | undefined {
  const parts = value?.trim().split(':');
  if (parts === undefined || parts.length < 6 || parts[0] !== 'arn' || parts[3] === '') return undefined;
  return parts[3];
}
