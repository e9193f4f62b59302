import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type AppProps, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AnnotationService, type AnnotationServiceProps } from '../../cdk/annotation-service.js';
import { PROJECT_ROOT } from '../../cdk/project-function.js';

/** The feature flags and settings `npx cdk` runs with, so tests synthesize the same thing. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8'),
).context;

export const TEST_ENV = { account: '111111111111', region: 'eu-west-1' } as const;

export interface TestAppOptions {
  /** Run esbuild for every NodejsFunction (~5-10 s). @default false */
  readonly bundling?: boolean;
  readonly appProps?: AppProps;
}

/** An App with cdk.json's context; bundling skipped unless asked for (2 s instead of 7.5 s). */
export function testApp(options: TestAppOptions = {}): App {
  return new App({
    ...options.appProps,
    context: {
      ...CDK_JSON_CONTEXT,
      // The local runtime maps logical ids to constructs through aws:cdk:path.
      'aws:cdk:enable-path-metadata': true,
      ...(options.bundling ? {} : { 'aws:cdk:bundling-stacks': [] }),
      ...options.appProps?.context,
    },
  });
}

/** A stack holding one AnnotationService, and its synthesized template. */
export function synthService(
  props: AnnotationServiceProps = {},
  options: TestAppOptions = {},
): { app: App; stack: Stack; service: AnnotationService; template: Template } {
  const app = testApp(options);
  const stack = new Stack(app, 'TestStack', { env: TEST_ENV });
  const service = new AnnotationService(stack, 'Service', props);
  return { app, stack, service, template: Template.fromStack(stack) };
}
