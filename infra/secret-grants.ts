/**
 * The ARNs to grant on for the secrets a configuration names, by name prefix so the policy does
 * not grow with the fleet.
 *
 * Secrets Manager appends `-` and six random characters to every secret's ARN. A secret named
 * `pop3-ingest/support` is granted as `...:secret:pop3-ingest/*` (every secret sharing the
 * folder-like prefix up to the last `/`); a name without `/` is granted alone, as
 * `name-??????`. A partial ARN whose name happens to end in `-` plus six characters
 * (`.../box-backup`) cannot be told from a complete ARN, so both readings are granted.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import type { SecretReference } from './deploy-config.js';

/** ARN patterns for the given references, deduplicated and sorted. */
export function secretGrantArns(stack: Stack, refs: readonly SecretReference[]): string[] {
  const arns = new Set<string>();
  for (const r of refs) for (const arn of arnsFor(stack, r.ref)) arns.add(arn);
  return [...arns].sort();
}

const SUFFIX = /-[A-Za-z0-9]{6}$/;

function arnsFor(stack: Stack, ref: string): string[] {
  if (ref.startsWith('arn:')) {
    const head = ref.split(':').slice(0, 6).join(':');
    const name = ref.split(':').slice(6).join(':');
    const slash = name.lastIndexOf('/');
    if (slash >= 0) return [`${head}:${name.slice(0, slash + 1)}*`];
    // Complete ARN, or a partial one whose name ends like a suffix: grant both readings.
    return SUFFIX.test(name) ? [ref, `${ref}-??????`] : [`${ref}-??????`];
  }
  const slash = ref.lastIndexOf('/');
  const resourceName = slash >= 0 ? `${ref.slice(0, slash + 1)}*` : `${ref}-??????`;
  return [stack.formatArn({ service: 'secretsmanager', resource: 'secret', resourceName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })];
}
