import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * How cdk-nag names a wildcard resource in an IAM5 finding: the resolved CloudFormation value
 * flattened (`{ "Fn::GetAtt": ["Bucket1", "Arn"] }` → `<Bucket1.Arn>`, `Fn::Join` joined).
 * Mirrors cdk-nag's `flattenCfnReference`, so an acknowledgement names exactly one finding.
 */
export function flattenForNag(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  if (typeof value === 'object' && value !== null) {
    const node = value as Record<string, unknown>;
    if (Array.isArray(node['Fn::Join'])) {
      const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
      return items.map(flattenForNag).join(delimiter);
    }
    if ('Fn::Sub' in node) return flattenForNag(node['Fn::Sub']);
    if (Array.isArray(node['Fn::GetAtt'])) {
      const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
      return `<${flattenForNag(resource)}.${flattenForNag(attribute)}>`;
    }
    if ('Fn::ImportValue' in node) return flattenForNag(node['Fn::ImportValue']);
    if ('Ref' in node) return `<${flattenForNag(node.Ref)}>`;
  }
  return JSON.stringify(value);
}

/**
 * Acknowledges cdk-nag's AwsSolutions-IAM5 finding for one wildcard resource (e.g. the objects
 * under a prefix) on `scope`, and nothing else: another wildcard still fails the check.
 */
export function acknowledgeWildcardResource(
  scope: IConstruct,
  resource: string,
  reason: string,
): void {
  const flat = flattenForNag(Stack.of(scope).resolve(resource));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${flat}]`, reason });
}
