/**
 * OAuth2 token endpoints and scopes per provider (RFC 6749 section 3.2): the adapter's knowledge
 * of Microsoft and Google, kept beside the code that calls them. The config schema names the
 * same providers (plus `custom`); the composition root passes its settings here, so the compiler
 * checks that every provider the schema accepts has a preset.
 */

/** Provider presets. `{tenant}` in a token URL is replaced by the tenant. */
export const OAUTH_PRESETS = {
  microsoft: {
    tokenUrl: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token',
    /** Delegated (refresh token) flow: POP access as the signed-in user, and a new refresh token. */
    scope: 'https://outlook.office.com/POP.AccessAsUser.All offline_access',
    /** Client-credentials (app-only) flow, for a service principal granted POP access. */
    clientCredentialsScope: 'https://outlook.office365.com/.default',
  },
  google: {
    tokenUrl: 'https://oauth2.googleapis.com/token',
    scope: 'https://mail.google.com/',
    clientCredentialsScope: 'https://mail.google.com/',
  },
} as const;

/** Microsoft's delegated flows need a tenant; 'organizations' accepts any work account. */
export const DEFAULT_MICROSOFT_TENANT = 'organizations';

/** A mailbox's OAuth2 settings, as the adapter needs them (the config's `auth.oauth2`). */
export interface OAuthSettings {
  provider: keyof typeof OAUTH_PRESETS | 'custom';
  /** refresh_token: delegated (the secret holds a refresh token). client_credentials: app-only. */
  grant: 'refresh_token' | 'client_credentials';
  tokenUrl?: string | undefined;
  tenant?: string | undefined;
  scope?: string | undefined;
}
