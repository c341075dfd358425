/**
 * Turns zod issues into ConfigIssues that name the field by path (`mailboxes[0].tls.mode`) and
 * say what to write instead, with "did you mean" for a misspelt field.
 */
import type * as z from 'zod';
import type { ConfigIssue } from './errors.js';
import { closestName } from './suggest.js';

/**
 * One zod issue as one or more ConfigIssues (an unknown-keys issue names each key). `schema` is
 * the schema that was parsed: an unknown key is compared with the fields known at its place.
 */
export function toConfigIssues(issue: z.core.$ZodIssue, schema?: z.core.$ZodType): ConfigIssue[] {
  const path = formatPath(issue.path);
  switch (issue.code) {
    case 'invalid_value':
      return [{ path, message: `expected one of ${issue.values.map(String).join('|')}` }];
    case 'unrecognized_keys': {
      const known = schema === undefined ? [] : fieldsAt(schema, issue.path);
      return issue.keys.map((key) => {
        const guess = closestName(key, known);
        return {
          path: path === '' ? key : `${path}.${key}`,
          message: guess === undefined ? 'unknown field: remove it or check the spelling' : `unknown field: did you mean "${guess}"?`,
        };
      });
    }
    case 'invalid_type': {
      const expected = issue.message.startsWith('Invalid input') ? `expected ${issue.expected}` : issue.message;
      return [{ path, message: issue.input === undefined ? `required: ${expected}` : expected }];
    }
    default:
      return [{ path, message: issue.message }];
  }
}

/** The field names an object schema accepts at `path` (array indexes step into the element). */
export function fieldsAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): string[] {
  let node: z.core.$ZodType | undefined = unwrap(schema);
  for (const part of path) {
    if (node === undefined) return [];
    const def = node._zod.def as { type: string; shape?: Record<string, z.core.$ZodType>; element?: z.core.$ZodType };
    if (def.type === 'array' && typeof part === 'number') node = unwrap(def.element);
    else if (def.type === 'object' && typeof part === 'string') node = unwrap(def.shape?.[part]);
    else return [];
  }
  const def = node?._zod.def as { type: string; shape?: Record<string, unknown> } | undefined;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** Looks through wrappers (optional, default, prefault, transforms) to the schema that validates. */
function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let node = schema;
  for (let i = 0; node !== undefined && i < 10; i += 1) {
    const def = node._zod.def as { type: string; innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    if (def.type === 'pipe') node = def.in;
    else if (def.innerType !== undefined) node = def.innerType;
    else return node;
  }
  return node;
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
