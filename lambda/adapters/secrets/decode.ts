/**
 * Turns the text of a secret (env var, file, Secrets Manager SecretString) into a SecretValue.
 * A JSON object is read field by field; anything else is the password itself.
 */
import { SecretError } from './errors.js';
import { Secret } from './secret.js';
import type { SecretValue } from './types.js';

/** JSON field names accepted for each SecretValue field (camelCase first, then OAuth2's own). */
const FIELD_ALIASES = {
  accessToken: ['accessToken', 'access_token'],
  clientId: ['clientId', 'client_id'],
  clientSecret: ['clientSecret', 'client_secret'],
  refreshToken: ['refreshToken', 'refresh_token'],
} as const;

/**
 * Decodes secret text. `passwordField` names the JSON field holding the password (default
 * "password"). `where` describes the source for error messages; the text itself is never quoted
 * (V8's JSON.parse message would echo part of it, so it is not kept either).
 */
export function decodeSecretText(text: string, where: string, passwordField?: string): SecretValue {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) {
    if (passwordField !== undefined) {
      throw new SecretError('SECRET_INCOMPLETE', `${where} is not a JSON object, so it has no field "${passwordField}"`);
    }
    // A plain secret is the password: its first line, without the line ending.
    const password = text.split(/\r?\n/, 1)[0] ?? '';
    if (password === '') throw new SecretError('SECRET_INCOMPLETE', `${where} is empty`);
    return { password: new Secret(password) };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new SecretError('SECRET_INVALID', `${where} starts with "{" but is not valid JSON`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SecretError('SECRET_INVALID', `${where} is not a JSON object`);
  }
  const record = parsed as Record<string, unknown>;
  const pick = (names: readonly string[]): Secret | undefined => {
    for (const name of names) {
      const v = record[name];
      if (typeof v === 'string' && v !== '') return new Secret(v);
    }
    return undefined;
  };
  const value: SecretValue = {};
  const password = pick([passwordField ?? 'password']);
  if (password) value.password = password;
  else if (passwordField !== undefined) {
    throw new SecretError('SECRET_INCOMPLETE', `${where} has no non-empty string field "${passwordField}"`);
  }
  for (const [key, names] of Object.entries(FIELD_ALIASES) as Array<[keyof typeof FIELD_ALIASES, readonly string[]]>) {
    const v = pick(names);
    if (v) value[key] = v;
  }
  return value;
}

/** Merges a rotated refresh token into secret text that holds a JSON object; returns the new text. */
export function mergeIntoSecretText(text: string, where: string, fields: { refreshToken?: Secret }): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SecretError('SECRET_INVALID', `${where} is not a JSON object: cannot write a rotated refresh token back`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SecretError('SECRET_INVALID', `${where} is not a JSON object: cannot write a rotated refresh token back`);
  }
  const record = { ...(parsed as Record<string, unknown>) };
  if (fields.refreshToken) {
    // Keep the spelling the operator chose.
    const key = 'refresh_token' in record && !('refreshToken' in record) ? 'refresh_token' : 'refreshToken';
    record[key] = fields.refreshToken.reveal();
  }
  return JSON.stringify(record);
}
