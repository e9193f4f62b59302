import { resolve } from 'node:path';
import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AnnotationService, type AnnotationServiceProps } from './annotation-service.js';
import { PROJECT_ROOT } from './project-function.js';

export interface AnnotationStackProps extends StackProps {
  /** Passed to the `AnnotationService` construct unchanged. */
  readonly service?: AnnotationServiceProps;
}

/**
 * Your own backends from cdk.json's context, `"annoflow:backendModules": { "<name>": "<path>" }`
 * with paths relative to the project root; `npx cdk deploy` bundles them and `npm start`
 * loads them, from the same declaration.
 */
export function backendModulesFromContext(scope: Construct): Record<string, string> {
  const declared = (scope.node.tryGetContext('annoflow:backendModules') ?? {}) as Record<
    string,
    string
  >;
  return Object.fromEntries(
    Object.entries(declared).map(([name, path]) => [name, resolve(PROJECT_ROOT, path)]),
  );
}

/** The deployable annoflow service: one stack holding one `AnnotationService`. */
export class AnnotationStack extends Stack {
  readonly service: AnnotationService;

  constructor(scope: Construct, id: string, props: AnnotationStackProps = {}) {
    super(scope, id, {
      description: 'annoflow: FiftyOne-style annotation runs as serverless infrastructure',
      ...props,
    });
    this.service = new AnnotationService(this, 'Service', {
      backendModules: backendModulesFromContext(this),
      ...props.service,
    });
  }
}
