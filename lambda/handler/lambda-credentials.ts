/**
 * Stands in for `@aws-sdk/credential-provider-node` in the Lambda bundle only (an esbuild alias
 * in infra/handler-bundle.json). Lambda hands the execution role's credentials to the function
 * in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN (Lambda developer guide,
 * "Defined runtime environment variables"), so the rest of the default chain (SSO, INI files,
 * web identity, IMDS, the STS and SSO clients it carries) is dead weight at cold start: about
 * 100 KiB of the bundle. The CLI and the tests run the real chain from source.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** Same signature as the default chain's entry point; the SDK clients call it at construction. */
export const defaultProvider: typeof fromEnv = (init) => fromEnv(init);
