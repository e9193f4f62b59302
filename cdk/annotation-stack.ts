import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AnnotationService, type AnnotationServiceProps } from './annotation-service.js';

export interface AnnotationStackProps extends StackProps {
  /** Passed to the `AnnotationService` construct unchanged. */
  readonly service?: AnnotationServiceProps;
}

/** The deployable annoflow service: one stack holding one `AnnotationService`. */
export class AnnotationStack extends Stack {
  readonly service: AnnotationService;

  constructor(scope: Construct, id: string, props: AnnotationStackProps = {}) {
    super(scope, id, {
      description: 'annoflow: FiftyOne-style annotation runs as serverless infrastructure',
      ...props,
    });
    this.service = new AnnotationService(this, 'Service', props.service);
  }
}
