/**
 * Resolves a mailbox's oauth2 settings to a token endpoint URL and scope (provider presets in
 * presets.ts).
 */
import { DEFAULT_MICROSOFT_TENANT, OAUTH_PRESETS, type OAuthSettings } from './presets.js';

/** Where to ask for a token and for what. `scope` undefined: send none (custom endpoints). */
export interface TokenEndpoint {
  tokenUrl: string;
  scope?: string;
  grant: 'refresh_token' | 'client_credentials';
}

/** Applies the provider preset, the tenant and the grant's default scope; explicit settings win. */
export function resolveTokenEndpoint(oauth: OAuthSettings): TokenEndpoint {
  if (oauth.provider === 'custom') {
    // The schema requires tokenUrl for custom providers.
    const endpoint: TokenEndpoint = { tokenUrl: oauth.tokenUrl ?? '', grant: oauth.grant };
    if (oauth.scope !== undefined) endpoint.scope = oauth.scope;
    return endpoint;
  }
  const preset = OAUTH_PRESETS[oauth.provider];
  const tenant = encodeURIComponent(oauth.tenant ?? DEFAULT_MICROSOFT_TENANT);
  return {
    tokenUrl: oauth.tokenUrl ?? preset.tokenUrl.replace('{tenant}', tenant),
    scope: oauth.scope ?? (oauth.grant === 'client_credentials' ? preset.clientCredentialsScope : preset.scope),
    grant: oauth.grant,
  };
}
