/**
 * The configuration's field rules that are plain regular expressions and conversions, shared by
 * the zod schema (schema.ts) and the zod-free check of every start (quick-parse.ts), so the two
 * cannot drift apart on what a field accepts.
 */
import type { DeletePolicy } from '../sync/types.js';

export const NO_CONTROL = /^[^\r\n\0]*$/;
/** SHA-256 of the SubjectPublicKeyInfo: base64 (RFC 7469 pin-sha256) or hex, colons allowed. */
export const PIN_BASE64 = /^[A-Za-z0-9+/]{43}=$/;
export const PIN_HEX = /^[0-9a-fA-F]{2}(:?[0-9a-fA-F]{2}){31}$/;
/** EventBridge Scheduler expressions: rate(), cron() or at(). */
export const SCHEDULE = /^(rate\(\s*[1-9]\d*\s+(minute|minutes|hour|hours|day|days)\s*\)|cron\(.+\)|at\(.+\))$/;
export const DELETE = /^(never|after-store|after-days:([1-9]\d{0,4}))$/;
/** Key prefix: empty, or path segments each ending in '/' (no '..', no leading '/'). */
export const KEY_PREFIX = /^([A-Za-z0-9_-][A-Za-z0-9_.-]*\/)*$/;
/** S3 bucket naming rules (general purpose buckets). */
export const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const BUS_NAME = /^[A-Za-z0-9._\-/:]{1,1600}$/;
/** EventBridge reserves sources starting with "aws.". */
export const EVENT_SOURCE = /^(?!aws\.)[A-Za-z0-9._\-/]{1,256}$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const TENANT = /^[A-Za-z0-9.-]{1,128}$/;

/** Most body characters message.json may keep: the parser holds up to 4 octets per character in memory. */
export const MAX_PARSE_BODY_CHARS = 5_000_000;

/** `never` | `after-store` | `after-days:N` (already matched by DELETE) as the sync core's policy. */
export function parseDeletePolicy(value: string): DeletePolicy {
  if (value === 'never') return { kind: 'never' };
  if (value === 'after-store') return { kind: 'after-store' };
  return { kind: 'after-days', days: Number(value.slice('after-days:'.length)) };
}

/** A pin (PIN_BASE64 or PIN_HEX) as base64, the form the TLS check compares. */
export function normalizePin(pin: string): string {
  return PIN_BASE64.test(pin) ? pin : Buffer.from(pin.replaceAll(':', ''), 'hex').toString('base64');
}
