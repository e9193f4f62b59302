import type { LocalStateMachine } from './engine.js';

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface TemplateNames {
  region: string;
  accountId: string;
  /**
   * Resolves any other intrinsic in a definition to its local value, e.g. a function's
   * `{ "Fn::GetAtt": [id, "Arn"] }` to the ARN `invokeLambda` will be called with.
   * Throw for one that cannot be resolved: start-up should fail, not an execution.
   */
  resolve(intrinsic: unknown): string;
}

/**
 * Reads the `AWS::StepFunctions::StateMachine` resources of a synthesized template as
 * local state machines. CDK writes a definition as `DefinitionString: { "Fn::Join": ["",
 * [text, { "Fn::GetAtt": [fnId, "Arn"] }, text, { "Ref": "AWS::Partition" }, ...] ] }`:
 * the pseudo parameters are filled in here, every other part through `names.resolve`,
 * `DefinitionSubstitutions` (`${key}`) are applied, and the text is parsed. A machine is
 * named by its `StateMachineName`, else by its logical id (a stack's `Ref` to it resolves to
 * `stateMachineArn(logicalId)`). Only STANDARD machines run locally.
 */
export function stateMachinesFromTemplate(
  resources: Record<string, TemplateResource>,
  names: TemplateNames,
): LocalStateMachine[] {
  const text = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].map(text).join(join[0]);
    const ref = (value as { Ref?: string }).Ref;
    if (ref === 'AWS::Partition') return 'aws';
    if (ref === 'AWS::URLSuffix') return 'amazonaws.com';
    if (ref === 'AWS::Region') return names.region;
    if (ref === 'AWS::AccountId') return names.accountId;
    return names.resolve(value);
  };

  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === 'AWS::StepFunctions::StateMachine')
    .map(([logicalId, resource]) => {
      const properties = resource.Properties ?? {};
      const name =
        typeof properties.StateMachineName === 'string' ? properties.StateMachineName : logicalId;
      if ((properties.StateMachineType ?? 'STANDARD') !== 'STANDARD') {
        throw new Error(
          `template: state machine ${name} is not STANDARD; only STANDARD runs locally`,
        );
      }
      let definitionText =
        properties.DefinitionString !== undefined
          ? text(properties.DefinitionString)
          : JSON.stringify(properties.Definition);
      const substitutions = (properties.DefinitionSubstitutions ?? {}) as Record<string, unknown>;
      for (const [key, value] of Object.entries(substitutions)) {
        definitionText = definitionText.split(`\${${key}}`).join(text(value));
      }
      let definition: unknown;
      try {
        definition = JSON.parse(definitionText);
      } catch (error) {
        throw new Error(`template: state machine ${name} has a definition that is not JSON`, {
          cause: error,
        });
      }
      const role = (properties.RoleArn as { 'Fn::GetAtt'?: [string, string] } | undefined)?.[
        'Fn::GetAtt'
      ]?.[0];
      const roleArn =
        typeof properties.RoleArn === 'string'
          ? properties.RoleArn
          : role !== undefined
            ? `arn:aws:iam::${names.accountId}:role/${role}`
            : undefined;
      return { name, definition, ...(roleArn === undefined ? {} : { roleArn }) };
    });
}

/**
 * The function name in what a state passes as `FunctionName` or `Resource`: a full or
 * partial ARN, with or without a version or alias qualifier, or the plain name.
 */
export function functionNameFromArn(functionArn: string): string {
  const match = /(?:^|:)function:([^:]+)(?::[^:]+)?$/.exec(functionArn);
  return match ? (match[1] as string) : functionArn;
}
