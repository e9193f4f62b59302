import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { describe, expect, it } from 'vitest';
import { AnnotationService, annotationServicePropsErrors } from '../../cdk/annotation-service.js';
import { FUNCTION_ENTRIES } from '../../cdk/function-entries.js';
import { ProjectFunction } from '../../cdk/project-function.js';
import { SERVICE_ENV } from '../../lib/config/service-env.js';
import { TEST_ENV, testApp } from './support.js';

const stack = () => new Stack(testApp(), 'TestStack', { env: TEST_ENV });

describe('Function: annotationServicePropsErrors', () => {
  it('accepts the defaults and sensible overrides', () => {
    expect(annotationServicePropsErrors({})).toEqual([]);
    expect(
      annotationServicePropsErrors({
        removalPolicy: RemovalPolicy.DESTROY,
        deletionProtection: false,
        ingest: { memorySize: 10_240, timeout: Duration.minutes(15), retryAttempts: 0 },
        api: { memorySize: 128, timeout: Duration.seconds(29) },
        accessLogExpirationDays: 1,
      }),
    ).toEqual([]);
  });

  it('reports every problem, each naming its prop', () => {
    const errors = annotationServicePropsErrors({
      removalPolicy: RemovalPolicy.SNAPSHOT,
      accessLogExpirationDays: 0,
      ingest: {
        memorySize: 64,
        timeout: Duration.millis(1500),
        retryAttempts: 3,
        maxEventAge: Duration.seconds(30),
      },
      api: { memorySize: 1024.5, timeout: Duration.seconds(30) },
      apiThrottle: { rateLimit: -1, burstLimit: Number.NaN },
    });
    expect(errors).toEqual([
      expect.stringMatching(/^removalPolicy must be one of .*got snapshot$/),
      'accessLogExpirationDays must be a whole number of days >= 1, got 0',
      'ingest.memorySize must be an integer from 128 to 10240 MiB, got 64',
      'ingest.timeout must be whole seconds from 1 s to 15 min, got 1 second 500 millis',
      'ingest.retryAttempts must be 0, 1 or 2, got 3',
      'ingest.maxEventAge must be from 60 s to 6 h, got 30 seconds',
      'api.memorySize must be an integer from 128 to 10240 MiB, got 1024.5',
      'api.timeout must be at most 29 s (HTTP API stops waiting at 30 s), got 30 seconds',
      'apiThrottle.rateLimit must be a number >= 0, got -1',
      'apiThrottle.burstLimit must be a number >= 0, got NaN',
    ]);
  });

  it('refuses a protected table that the stack would destroy', () => {
    expect(annotationServicePropsErrors({ removalPolicy: RemovalPolicy.DESTROY })).toEqual([
      'deletionProtection must be false with removalPolicy DESTROY (CloudFormation cannot delete a protected table)',
    ]);
  });
});

describe('Construct: AnnotationService (invalid props)', () => {
  it('throws once at synth, listing all errors, before creating anything', () => {
    const scope = stack();
    const act = () =>
      new AnnotationService(scope, 'Service', {
        removalPolicy: RemovalPolicy.DESTROY,
        ingest: { retryAttempts: 5 },
        api: { timeout: Duration.minutes(1) },
      });
    expect(act).toThrow(
      [
        'Invalid AnnotationService props (3):',
        '- deletionProtection must be false with removalPolicy DESTROY (CloudFormation cannot delete a protected table)',
        '- ingest.retryAttempts must be 0, 1 or 2, got 5',
        '- api.timeout must be at most 29 s (HTTP API stops waiting at 30 s), got 1 minute',
      ].join('\n'),
    );
    expect(scope.node.tryFindChild('Service')?.node.children ?? []).toHaveLength(0);
  });
});

describe('Construct: ProjectFunction', () => {
  it('reports sizing and a missing handler file together', () => {
    expect(
      () =>
        new ProjectFunction(stack(), 'Broken', {
          entry: { ...FUNCTION_ENTRIES.api, entry: 'functions/nope/handler.ts' },
          memorySize: 20_000,
          timeout: Duration.minutes(20),
          logRetention: 30,
        }),
    ).toThrow(
      /Invalid ProjectFunction props:\n- Broken\.memorySize .* got 20000\n- Broken\.timeout .* got 20 minutes\n- Broken\.entry: no handler file at .*functions\/nope\/handler\.ts$/,
    );
  });

  it.each(['', 'datasets', 'datasets/*', '*/'])(
    'bindBucket refuses the prefix %j (grants must stay under one literal folder)',
    (prefix) => {
      const scope = stack();
      const fn = new ProjectFunction(scope, 'Fn', {
        entry: FUNCTION_ENTRIES.api,
        memorySize: 128,
        timeout: Duration.seconds(3),
        logRetention: 30,
      });
      expect(() =>
        fn.bindBucket(new Bucket(scope, 'B'), 'read', SERVICE_ENV.MEDIA_BUCKET, { prefix }),
      ).toThrow(/bindBucket prefix must be a literal folder ending in '\/'/);
    },
  );
});
