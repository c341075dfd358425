/**
 * cdk-nag 3 acknowledgements, each with its reason written next to it.
 *
 * cdk-nag 3 reads CDK's own `Validations.of(x).acknowledge()` and matches IAM5 findings one by
 * one by their exact text (`AwsSolutions-IAM5[Resource::<LogicalId.Arn>/mail/*]`), with no
 * patterns. A wildcard resource is acknowledged here from the very ARN token that was granted,
 * flattened the way cdk-nag flattens it, so renaming a construct cannot silently break it
 * (and test/infra/nag.test.ts fails if anything is left unacknowledged).
 */
import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Acknowledges one whole cdk-nag rule on a construct (and everything below it), with the reason. */
export function acknowledgeRule(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/** Acknowledges AwsSolutions-IAM5 for each wildcard resource ARN granted under `scope`. */
export function acknowledgeWildcardResources(scope: IConstruct, resources: readonly string[], reason: string): void {
  const stack = Stack.of(scope);
  for (const arn of resources) {
    const flat = flattenCfnReference(stack.resolve(arn));
    if (flat.includes('*')) Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
  }
}

/** The same flattening cdk-nag applies to a resolved CloudFormation value before matching findings. */
export function flattenCfnReference(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof node === 'object' && node !== null) {
    const o = node as Record<string, unknown>;
    if (o['Fn::Join']) {
      const [delimiter, items] = o['Fn::Join'] as [string, unknown[]];
      return items.map(flattenCfnReference).join(delimiter);
    }
    if (o['Fn::Sub']) return flattenCfnReference(o['Fn::Sub']);
    if (o['Fn::GetAtt']) {
      const [resource, attribute] = o['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenCfnReference(resource)}.${flattenCfnReference(attribute)}>`;
    }
    if (o['Fn::ImportValue']) return flattenCfnReference(o['Fn::ImportValue']);
    if (o.Ref) return `<${flattenCfnReference(o.Ref)}>`;
  }
  return JSON.stringify(node);
}
