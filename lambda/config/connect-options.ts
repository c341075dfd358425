/**
 * Maps a mailbox configuration plus its resolved credentials onto the POP3 engine's connect
 * options, and resolves those credentials (password, or OAuth2 access token) from the secret
 * provider. Certificate verification is always on: this mapping never sets insecureSkipVerify.
 */
import { readFile } from 'node:fs/promises';
import type { OAuthTokenProvider } from '../adapters/oauth/token-provider.js';
import { SecretError } from '../adapters/secrets/errors.js';
import type { Secret } from '../adapters/secrets/secret.js';
import { describeSecretRef, type SecretProvider } from '../adapters/secrets/types.js';
import type { Pop3ConnectOptions } from '../pop3/index.js';
import { ConfigError } from './errors.js';
import type { MailboxConfig } from './schema.js';

/** The credentials of one login, still wrapped: revealed only into the connect options. */
export interface ResolvedCredentials {
  password?: Secret;
  accessToken?: Secret;
}

/** Token mechanisms tried when oauth2 is configured and auth.mechanisms is not. */
const OAUTH_METHODS = ['OAUTHBEARER', 'XOAUTH2'] as const;

/**
 * The engine's options for `m` with these credentials. `ca` is the PEM bundle when the mailbox
 * names a caFile (read it with readCaFile); inline `tls.ca` is used otherwise.
 */
export function toConnectOptions(m: MailboxConfig, credentials: ResolvedCredentials, files: { ca?: string } = {}): Pop3ConnectOptions {
  const options: Pop3ConnectOptions = {
    host: m.host,
    port: m.port,
    tls: m.tls.mode,
    minVersion: m.tls.minVersion,
    allowInsecureAuth: m.tls.mode === 'none' && m.tls.allowInsecureAuth,
    credentials: {
      user: m.auth.user,
      ...(credentials.password ? { password: credentials.password.reveal() } : {}),
      ...(credentials.accessToken ? { accessToken: credentials.accessToken.reveal() } : {}),
    },
  };
  const ca = files.ca ?? m.tls.ca;
  if (ca !== undefined) options.ca = ca;
  if (m.tls.servername !== undefined) options.servername = m.tls.servername;
  if (m.tls.pinSha256 !== undefined) options.pinnedPublicKey = m.tls.pinSha256;
  if (m.pop3 !== undefined) {
    const limits = Object.fromEntries(Object.entries(m.pop3).filter(([, v]) => v !== undefined));
    if (Object.keys(limits).length > 0) options.limits = limits;
  }
  if (m.auth.mechanisms !== undefined) options.authMethods = m.auth.mechanisms;
  else if (m.auth.oauth2 !== undefined) options.authMethods = OAUTH_METHODS;
  return options;
}

/** Reads the mailbox's tls.caFile, if any; an unreadable file is a ConfigError (permanent). */
export async function readCaFile(m: MailboxConfig): Promise<string | undefined> {
  if (m.tls.caFile === undefined) return undefined;
  try {
    return await readFile(m.tls.caFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError('CONFIG_UNREADABLE', `mailbox ${m.id}: cannot read tls.caFile ${m.tls.caFile} (${code})`, [
      { path: 'tls.caFile', message: `cannot read ${m.tls.caFile} (${code})` },
    ]);
  }
}

/**
 * The credentials for one login: an OAuth2 access token when oauth2 is configured, otherwise
 * the secret's password (or its ready-made accessToken).
 */
export async function resolveCredentials(
  m: MailboxConfig,
  secrets: SecretProvider,
  oauth: OAuthTokenProvider,
  signal?: AbortSignal,
): Promise<ResolvedCredentials> {
  const ref = m.auth.secret;
  if (m.auth.oauth2 !== undefined) {
    return { accessToken: await oauth.getAccessToken(ref, m.auth.oauth2, signal ? { signal } : {}) };
  }
  const value = await secrets.get(ref);
  const credentials: ResolvedCredentials = {};
  if (value.password) credentials.password = value.password;
  if (value.accessToken) credentials.accessToken = value.accessToken;
  if (!credentials.password && !credentials.accessToken) {
    throw new SecretError('SECRET_INCOMPLETE', `${describeSecretRef(ref)} has no password (nor accessToken) for mailbox ${m.id}`);
  }
  return credentials;
}
