/**
 * Maps a mailbox configuration plus its resolved credentials onto the POP3 engine's connect
 * options, and resolves those credentials (password, or OAuth2 access token) from the secret
 * provider. Certificate verification is always on, with one explicit exception: a mailbox that
 * pins the server key (tls.pinSha256, --pin) and names no CA trusts that key alone, so a
 * self-signed server can be used without a CA file. The pin is then checked before any command
 * is sent (lambda/pop3/transport.ts), which is a stronger statement than any CA chain.
 */
import { readFile } from 'node:fs/promises';
import type { OAuthTokenProvider } from '../adapters/oauth/token-provider.js';
import { SecretError } from '../adapters/secrets/errors.js';
import type { Secret } from '../adapters/secrets/secret.js';
import { describeSecretRef, type SecretProvider } from '../adapters/secrets/types.js';
import { TOKEN_MECHANISMS, type Pop3ConnectOptions, type Pop3OpenOptions, type Pop3TlsOptions } from '../pop3/index.js';
import { ConfigError } from '../config/errors.js';
import type { MailboxConfig } from '../config/schema.js';

/** The credentials of one login, still wrapped: revealed only into the connect options. */
export interface ResolvedCredentials {
  password?: Secret;
  accessToken?: Secret;
}


/**
 * The engine's options for `m` with these credentials. `ca` is the PEM bundle when the mailbox
 * names a caFile (read it with readCaFile); inline `tls.ca` is used otherwise.
 */
export function toConnectOptions(m: MailboxConfig, credentials: ResolvedCredentials, files: { ca?: string } = {}): Pop3ConnectOptions {
  return { ...toOpenOptions(m, files), credentials: toLoginCredentials(m, credentials) };
}

/** The credentials the engine logs in with, revealed from their wrappers. */
export function toLoginCredentials(m: MailboxConfig, credentials: ResolvedCredentials): Pop3ConnectOptions['credentials'] {
  return {
    user: m.auth.user,
    ...(credentials.password ? { password: credentials.password.reveal() } : {}),
    ...(credentials.accessToken ? { accessToken: credentials.accessToken.reveal() } : {}),
  };
}

/** The engine's options for `m` up to login (what `check` opens with before it has credentials). */
export function toOpenOptions(m: MailboxConfig, files: { ca?: string } = {}): Pop3OpenOptions & { port: number } {
  const options: Pop3OpenOptions & { port: number } = {
    host: m.host,
    port: m.port,
    tls: m.tls.mode,
    minVersion: m.tls.minVersion,
    allowInsecureAuth: m.tls.mode === 'none' && m.tls.allowInsecureAuth,
  };
  Object.assign(options, toTlsOptions(m, files));
  if (m.pop3 !== undefined) {
    const limits = Object.fromEntries(Object.entries(m.pop3).filter(([, v]) => v !== undefined));
    if (Object.keys(limits).length > 0) options.limits = limits;
  }
  if (m.auth.mechanisms !== undefined) options.authMethods = m.auth.mechanisms;
  else if (m.auth.oauth2 !== undefined) options.authMethods = TOKEN_MECHANISMS;
  return options;
}

/** The TLS part of the connect options (also what `check` uses for its pre-login look). */
export function toTlsOptions(m: MailboxConfig, files: { ca?: string } = {}): Pop3TlsOptions {
  const options: Pop3TlsOptions = { minVersion: m.tls.minVersion };
  const ca = files.ca ?? m.tls.ca;
  if (ca !== undefined) options.ca = ca;
  if (m.tls.servername !== undefined) options.servername = m.tls.servername;
  if (m.tls.pinSha256 !== undefined) {
    options.pinnedPublicKey = m.tls.pinSha256;
    // The user named the exact key to trust and no CA: the pin alone decides (see the file comment).
    if (ca === undefined && m.tls.caFile === undefined) options.insecureSkipVerify = true;
  }
  return options;
}

/** Reads the mailbox's tls.caFile, if any; an unreadable file is a ConfigError (permanent). */
export async function readCaFile(m: MailboxConfig): Promise<string | undefined> {
  if (m.tls.caFile === undefined) return undefined;
  let pem: string;
  try {
    pem = await readFile(m.tls.caFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new ConfigError('CONFIG_UNREADABLE', `mailbox ${m.id}: cannot read tls.caFile ${m.tls.caFile} (${code})`, [
      { path: 'tls.caFile', message: `cannot read ${m.tls.caFile} (${code})` },
    ]);
  }
  // Node would otherwise accept the file and fail every handshake later with a vague error.
  if (!PEM_CERTIFICATE.test(pem)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `mailbox ${m.id}: the CA file ${m.tls.caFile} (--ca, tls.caFile) holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); ` +
        'a DER file converts with: openssl x509 -inform der -in FILE -out ca.pem',
      [{ path: 'tls.caFile', message: 'not a PEM certificate file' }],
    );
  }
  return pem;
}

const PEM_CERTIFICATE = /-----BEGIN (TRUSTED )?CERTIFICATE-----[\s\S]+?-----END (TRUSTED )?CERTIFICATE-----/;

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
