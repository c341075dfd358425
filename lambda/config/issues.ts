/**
 * Turns zod issues into ConfigIssues that name the field by path (`mailboxes[0].tls.mode`) and
 * say what to write instead.
 */
import type * as z from 'zod';
import type { ConfigIssue } from './errors.js';

/** One zod issue as one or more ConfigIssues (an unknown-keys issue names each key). */
export function toConfigIssues(issue: z.core.$ZodIssue): ConfigIssue[] {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case 'invalid_value':
      return [{ path, message: `expected one of ${issue.values.map(String).join('|')}` }];
    case 'unrecognized_keys':
      return issue.keys.map((key) => ({
        path: path === '' ? key : `${path}.${key}`,
        message: 'unknown field: remove it or check the spelling',
      }));
    case 'invalid_type': {
      const expected = issue.message.startsWith('Invalid input') ? `expected ${issue.expected}` : issue.message;
      return [{ path, message: issue.input === undefined ? `required: ${expected}` : expected }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

/** `['mailboxes', 0, 'tls', 'mode']` -> `mailboxes[0].tls.mode`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}
