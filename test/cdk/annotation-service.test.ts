import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ANNOTATION_SERVICE_DEFAULTS } from '../../cdk/annotation-service.js';
import {
  API_ROUTES,
  FUNCTION_ENTRIES,
  type FunctionEntry,
  MEDIA_PREFIX,
  RUNS_PREFIX,
  WEBHOOK_ROUTES,
} from '../../cdk/function-entries.js';
import { SERVICE_ENV } from '../../lib/config/service-env.js';
import { STORE_ENV } from '../../lib/store/config.js';
import { BLOB_PREFIX } from '../../lib/store/keys.js';
import { TABLE } from '../../lib/store/table.js';
import { synthService } from './support.js';

interface Resource {
  readonly Type: string;
  readonly Properties: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DeletionPolicy?: string;
}

interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Resources of `type`, keyed by logical id. */
function resources(template: Template, type: string): Record<string, Resource> {
  return template.findResources(type) as Record<string, Resource>;
}

/** The logical id of the single resource of `type` whose construct path ends with `suffix`. */
function logicalIdByPath(template: Template, type: string, suffix: string): string {
  const ids = Object.entries(resources(template, type))
    .filter(([, r]) => String(r.Metadata?.['aws:cdk:path']).endsWith(suffix))
    .map(([id]) => id);
  expect(ids, `${type} at ${suffix}`).toHaveLength(1);
  return ids[0] as string;
}

/** Every Allow statement in the policies attached to the role at `roleSuffix`. */
function roleStatements(template: Template, roleSuffix: string): Statement[] {
  const roleId = logicalIdByPath(template, 'AWS::IAM::Role', roleSuffix);
  return Object.values(resources(template, 'AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** `{ resource (as JSON) → sorted actions }` for a role, to compare whole grants at once. */
function grants(template: Template, roleSuffix: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const s of roleStatements(template, roleSuffix)) {
    expect(s.Effect).toBe('Allow');
    for (const r of asArray(s.Resource)) {
      const resource = typeof r === 'string' ? r : JSON.stringify(r);
      // A conditional grant is keyed with its condition: it is not the bare grant.
      const key =
        s.Condition === undefined ? resource : `${resource} if ${JSON.stringify(s.Condition)}`;
      out[key] = [...(out[key] ?? []), ...asArray(s.Action)].sort();
    }
  }
  return out;
}

const getAtt = (id: string, attr = 'Arn') => ({ 'Fn::GetAtt': [id, attr] });
const join = (...parts: unknown[]) => JSON.stringify({ 'Fn::Join': ['', parts] });

describe('Construct: AnnotationService (defaults)', () => {
  let template: Template;
  let ids: Record<'table' | 'media' | 'logs' | 'dlq' | 'ingest' | 'api', string>;

  beforeAll(() => {
    template = synthService().template;
    ids = {
      table: logicalIdByPath(template, 'AWS::DynamoDB::GlobalTable', '/Service/Table/Resource'),
      media: logicalIdByPath(template, 'AWS::S3::Bucket', '/Service/MediaBucket/Resource'),
      logs: logicalIdByPath(template, 'AWS::S3::Bucket', '/Service/AccessLogsBucket/Resource'),
      dlq: logicalIdByPath(template, 'AWS::SQS::Queue', '/IngestDeadLetterQueue/Resource'),
      ingest: logicalIdByPath(template, 'AWS::Lambda::Function', '/Ingest/Function/Resource'),
      api: logicalIdByPath(template, 'AWS::Lambda::Function', '/Api/Function/Resource'),
    };
  });

  describe('table', () => {
    it('has the key scheme, gsi1 and TTL of lib/store/table.ts, on demand with PITR', () => {
      template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        GlobalSecondaryIndexes: [
          {
            IndexName: TABLE.gsi1.indexName,
            KeySchema: [
              { AttributeName: TABLE.gsi1.partitionKey, KeyType: 'HASH' },
              { AttributeName: TABLE.gsi1.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
        Replicas: [
          Match.objectLike({
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            DeletionProtectionEnabled: true,
          }),
        ],
      });
    });

    it('is retained when the stack is deleted', () => {
      expect(resources(template, 'AWS::DynamoDB::GlobalTable')[ids.table]?.DeletionPolicy).toBe(
        'Retain',
      );
    });
  });

  describe('functions', () => {
    it('deploys exactly the functions of the registry (plus CDK’s notifications handler)', () => {
      const paths = Object.values(resources(template, 'AWS::Lambda::Function'))
        .map((r) => String(r.Metadata?.['aws:cdk:path']))
        .sort();
      expect(paths).toEqual(
        [
          'TestStack/BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Resource',
          ...Object.values(FUNCTION_ENTRIES).map(
            (e) => `TestStack/Service/${e.id}/Function/Resource`,
          ),
        ].sort(),
      );
    });

    it.each(Object.values(FUNCTION_ENTRIES) as FunctionEntry[])(
      '$id: nodejs22.x on arm64, ESM, traced, own log group',
      (entry) => {
        const id = logicalIdByPath(
          template,
          'AWS::Lambda::Function',
          `/${entry.id}/Function/Resource`,
        );
        const logGroup = logicalIdByPath(
          template,
          'AWS::Logs::LogGroup',
          `/${entry.id}/LogGroup/Resource`,
        );
        const fn = resources(template, 'AWS::Lambda::Function')[id];
        expect(fn?.Properties).toMatchObject({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Handler: `index.${entry.handler}`,
          Description: entry.description,
          TracingConfig: { Mode: 'Active' },
          LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logGroup } },
          Environment: {
            Variables: {
              NODE_OPTIONS: ['--enable-source-maps', ...(entry.nodeOptions ?? [])].join(' '),
            },
          },
        });
        template.hasResourceProperties('AWS::Logs::LogGroup', {
          RetentionInDays: 30,
        });
        expect(resources(template, 'AWS::Logs::LogGroup')[logGroup]?.DeletionPolicy).toBe('Retain');
      },
    );

    it("runs the load function, which merges, with the merge's young-generation size", () => {
      const id = logicalIdByPath(template, 'AWS::Lambda::Function', '/Load/Function/Resource');
      expect(resources(template, 'AWS::Lambda::Function')[id]?.Properties).toMatchObject({
        Environment: {
          Variables: { NODE_OPTIONS: '--enable-source-maps --max-semi-space-size=32' },
        },
      });
    });

    it('sizes each function explicitly (defaults)', () => {
      const fns = resources(template, 'AWS::Lambda::Function');
      expect(fns[ids.ingest]?.Properties).toMatchObject({ MemorySize: 512, Timeout: 30 });
      expect(fns[ids.api]?.Properties).toMatchObject({ MemorySize: 1024, Timeout: 29 });
    });

    it('wires the table and bucket env vars by the shared names', () => {
      for (const id of [ids.ingest, ids.api]) {
        expect(
          resources(template, 'AWS::Lambda::Function')[id]?.Properties.Environment,
        ).toMatchObject({
          Variables: {
            [SERVICE_ENV.TABLE_NAME]: { Ref: ids.table },
            [SERVICE_ENV.MEDIA_BUCKET]: { Ref: ids.media },
            NODE_OPTIONS: '--enable-source-maps',
          },
        });
      }
    });

    it('gives the workflows ARNs only to functions that start or wake workflows', () => {
      const fns = resources(template, 'AWS::Lambda::Function');
      const withArns = Object.entries(FUNCTION_ENTRIES)
        .filter(([key]) => {
          const id = logicalIdByPath(
            template,
            'AWS::Lambda::Function',
            `/${FUNCTION_ENTRIES[key as keyof typeof FUNCTION_ENTRIES].id}/Function/Resource`,
          );
          const environment = fns[id]?.Properties.Environment as
            | { Variables: Record<string, unknown> }
            | undefined;
          return SERVICE_ENV.LOAD_WORKFLOW_ARN in (environment?.Variables ?? {});
        })
        .map(([key]) => key)
        .sort();
      expect(withArns).toEqual(['annotate', 'api', 'results', 'sweeper', 'webhook']);
    });

    it('uses the env var names the store reads', () => {
      expect(STORE_ENV.tableName).toBe(SERVICE_ENV.TABLE_NAME);
      expect(STORE_ENV.mediaBucket).toBe(SERVICE_ENV.MEDIA_BUCKET);
    });
  });

  describe('IAM (least privilege)', () => {
    const logWrite = ['logs:CreateLogStream', 'logs:PutLogEvents'];
    const xray = ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'];
    const tableRead = [
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
    ];
    const tableWrite = [
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ];

    it('ingest: its log group, X-Ray, the DLQ, the table and gsi1, GetObject under datasets/, blobs/ read and write', () => {
      const logGroup = logicalIdByPath(
        template,
        'AWS::Logs::LogGroup',
        '/Ingest/LogGroup/Resource',
      );
      expect(grants(template, '/Ingest/Role/Resource')).toEqual({
        [JSON.stringify(getAtt(logGroup))]: logWrite,
        '*': xray,
        [JSON.stringify(getAtt(ids.dlq))]: [
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
          'sqs:SendMessage',
        ],
        [JSON.stringify(getAtt(ids.table))]: [...tableRead, ...tableWrite].sort(),
        [join(getAtt(ids.table), `/index/${TABLE.gsi1.indexName}`)]: ['dynamodb:Query'],
        [join(getAtt(ids.media), `/${MEDIA_PREFIX}*`)]: ['s3:GetObject'],
        // Samples' large fields: read, and offloaded again when an update grows the item.
        [join(getAtt(ids.media), `/${BLOB_PREFIX}*`)]: ['s3:GetObject', 's3:PutObject'],
      });
    });

    it('api: its log group, X-Ray, the table and gsi1, datasets/, blobs/ (listed to delete), runs/ read', () => {
      const logGroup = logicalIdByPath(template, 'AWS::Logs::LogGroup', '/Api/LogGroup/Resource');
      expect(grants(template, '/Api/Role/Resource')).toEqual({
        [JSON.stringify(getAtt(logGroup))]: logWrite,
        '*': xray,
        [JSON.stringify(getAtt(ids.table))]: [...tableRead, ...tableWrite].sort(),
        [join(getAtt(ids.table), `/index/${TABLE.gsi1.indexName}`)]: ['dynamodb:Query'],
        [join(getAtt(ids.media), `/${MEDIA_PREFIX}*`)]: ['s3:GetObject', 's3:PutObject'],
        [join(getAtt(ids.media), `/${BLOB_PREFIX}*`)]: [
          's3:DeleteObject',
          's3:GetObject',
          's3:PutObject',
        ],
        [`${JSON.stringify(getAtt(ids.media))} if ${JSON.stringify({ StringLike: { 's3:prefix': [`${BLOB_PREFIX}*`] } })}`]:
          ['s3:ListBucket'],
        [join(getAtt(ids.media), `/${RUNS_PREFIX}*`)]: ['s3:GetObject'],
        // Backends' webhook secrets, under the stack's prefix only, read only: the API
        // verifies nothing and makes no secret; only the workflows write them.
        'arn:aws:secretsmanager:eu-west-1:111111111111:secret:annoflow/TestStack/*': [
          'secretsmanager:GetSecretValue',
        ],
        ...Object.fromEntries(
          ['Annotate', 'Load', 'Cleanup'].flatMap((name) => {
            const machine = logicalIdByPath(
              template,
              'AWS::StepFunctions::StateMachine',
              `/Workflows/${name}Workflow/Resource`,
            );
            return [
              [
                JSON.stringify({ Ref: machine }),
                // Deleting a run ends a workflow waiting on it (the annotate workflow's token).
                name === 'Annotate'
                  ? [
                      'states:SendTaskFailure',
                      'states:SendTaskHeartbeat',
                      'states:SendTaskSuccess',
                      'states:StartExecution',
                    ]
                  : ['states:StartExecution'],
              ],
              [
                `arn:aws:states:eu-west-1:111111111111:execution:TestStack-${name}Workflow:*`,
                ['states:DescribeExecution'],
              ],
            ];
          }),
        ),
      });
    });

    it('annotate: lists keys under runs/ only, to choose a run object key nothing uses', () => {
      const granted = grants(template, '/Annotate/Role/Resource');
      const listings = Object.entries(granted).filter(([, actions]) =>
        actions.includes('s3:ListBucket'),
      );
      expect(listings).toEqual([
        [
          `${JSON.stringify(getAtt(ids.media))} if ${JSON.stringify({ StringLike: { 's3:prefix': [`${RUNS_PREFIX}*`] } })}`,
          ['s3:ListBucket'],
        ],
      ]);
    });

    it.each(['Webhook', 'Results', 'Sweeper'])(
      '%s: describes load executions (a redelivery finds its load started) and only reads webhook secrets',
      (name) => {
        const granted = grants(template, `/${name}/Role/Resource`);
        expect(
          granted['arn:aws:states:eu-west-1:111111111111:execution:TestStack-LoadWorkflow:*'],
        ).toEqual(['states:DescribeExecution']);
        expect(
          granted['arn:aws:secretsmanager:eu-west-1:111111111111:secret:annoflow/TestStack/*'],
        ).toEqual(['secretsmanager:GetSecretValue']);
      },
    );

    it('sweeper: reads media and samples to sign fresh links, and rewrites files manifests', () => {
      expect(grants(template, '/Sweeper/Role/Resource')).toMatchObject({
        [join(getAtt(ids.media), `/${MEDIA_PREFIX}*`)]: ['s3:GetObject'],
        [join(getAtt(ids.media), `/${BLOB_PREFIX}*`)]: ['s3:GetObject'],
        [join(getAtt(ids.media), `/${RUNS_PREFIX}*`)]: ['s3:GetObject', 's3:PutObject'],
      });
    });

    it('media link signer: a user that may only GetObject under datasets/, its key in a secret only annotate and the sweeper read', () => {
      const users = resources(template, 'AWS::IAM::User');
      const [userId] = Object.keys(users);
      expect(Object.keys(users)).toHaveLength(1);
      const userPolicies = Object.values(resources(template, 'AWS::IAM::Policy')).filter(
        (p) => JSON.stringify(p.Properties.Users) === JSON.stringify([{ Ref: userId }]),
      );
      expect(
        userPolicies.flatMap(
          (p) => (p.Properties.PolicyDocument as { Statement: unknown[] }).Statement,
        ),
      ).toEqual([
        {
          Effect: 'Allow',
          Action: 's3:GetObject',
          Resource: JSON.parse(join(getAtt(ids.media), `/${MEDIA_PREFIX}*`)),
        },
      ]);
      const secretId = logicalIdByPath(
        template,
        'AWS::SecretsManager::Secret',
        '/MediaLinkSigner/Secret/Resource',
      );
      // The key's secret half is a GetAtt resolved at deploy time, never a literal.
      const secretString = JSON.stringify(
        resources(template, 'AWS::SecretsManager::Secret')[secretId]?.Properties.SecretString,
      );
      expect(secretString).toContain('SecretAccessKey');
      const readers = Object.values(FUNCTION_ENTRIES).filter((entry) =>
        roleStatements(template, `/${entry.id}/Role/Resource`).some((statement) =>
          JSON.stringify(statement.Resource).includes(secretId),
        ),
      );
      expect(readers.map((entry) => entry.id).sort()).toEqual(['Annotate', 'Sweeper']);
      for (const id of ['Annotate', 'Sweeper']) {
        const fn = resources(template, 'AWS::Lambda::Function')[
          logicalIdByPath(template, 'AWS::Lambda::Function', `/${id}/Function/Resource`)
        ];
        expect(
          (fn?.Properties.Environment as { Variables: Record<string, unknown> } | undefined)
            ?.Variables[SERVICE_ENV.MEDIA_LINK_SIGNER_SECRET],
        ).toEqual({ Ref: secretId });
      }
    });

    it("has no '*' action anywhere, and Resource '*' only where AWS requires it (X-Ray, log delivery)", () => {
      const statements = Object.values(resources(template, 'AWS::IAM::Policy')).flatMap(
        (p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
      );
      expect(statements.length).toBeGreaterThan(0);
      for (const s of statements) {
        for (const action of asArray(s.Action)) expect(action).not.toContain('*');
        if (asArray(s.Resource).includes('*')) {
          expect(
            asArray(s.Action).every(
              (a) =>
                a.startsWith('xray:') ||
                /^logs:(Create|Get|Update|Delete|List)LogDeliver|^logs:(PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$/.test(
                  a,
                ),
            ),
            JSON.stringify(s.Action),
          ).toBe(true);
        }
      }
    });

    it('gives our roles no managed policies and trusts only Lambda', () => {
      for (const entry of Object.values(FUNCTION_ENTRIES)) {
        const id = logicalIdByPath(template, 'AWS::IAM::Role', `/${entry.id}/Role/Resource`);
        const role = resources(template, 'AWS::IAM::Role')[id];
        expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
        expect(role?.Properties.AssumeRolePolicyDocument).toEqual({
          Version: '2012-10-17',
          Statement: [
            {
              Action: 'sts:AssumeRole',
              Effect: 'Allow',
              Principal: { Service: 'lambda.amazonaws.com' },
            },
          ],
        });
      }
    });
  });

  describe('media bucket and ingest', () => {
    it('sends ObjectCreated and ObjectRemoved under datasets/ to ingest, .json under runs/ to results, nothing else', () => {
      const notifications = Object.values(resources(template, 'Custom::S3BucketNotifications'));
      expect(notifications).toHaveLength(1);
      const results = logicalIdByPath(
        template,
        'AWS::Lambda::Function',
        '/Results/Function/Resource',
      );
      expect(notifications[0]?.Properties).toMatchObject({
        BucketName: { Ref: ids.media },
        NotificationConfiguration: {
          LambdaFunctionConfigurations: [
            ...['s3:ObjectCreated:*', 's3:ObjectRemoved:*'].map((event) => ({
              Events: [event],
              Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: MEDIA_PREFIX }] } },
              LambdaFunctionArn: getAtt(ids.ingest),
            })),
            {
              Events: ['s3:ObjectCreated:*'],
              Filter: {
                Key: {
                  FilterRules: [
                    { Name: 'suffix', Value: '.json' },
                    { Name: 'prefix', Value: RUNS_PREFIX },
                  ],
                },
              },
              LambdaFunctionArn: getAtt(results),
            },
          ],
        },
      });
      template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        FunctionName: getAtt(ids.ingest),
        Principal: 's3.amazonaws.com',
        SourceArn: getAtt(ids.media),
      });
    });

    it('retries failed S3 events, then sends them to the DLQ', () => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: ids.ingest },
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: getAtt(ids.dlq) } },
      });
      template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    });

    it('encrypts the DLQ and refuses non-TLS access to it', () => {
      expect(resources(template, 'AWS::SQS::Queue')[ids.dlq]?.Properties).toMatchObject({
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        Queues: [{ Ref: ids.dlq }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });

    it.each(['media', 'logs'] as const)('%s bucket: SSE-S3, no public access, TLS only', (key) => {
      const bucket = resources(template, 'AWS::S3::Bucket')[ids[key]];
      expect(bucket?.DeletionPolicy).toBe('Retain');
      expect(bucket?.Properties).toMatchObject({
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: ids[key] },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Principal: { AWS: '*' },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
            }),
          ]),
        },
      });
    });

    it('logs media bucket access into the access log bucket', () => {
      expect(
        resources(template, 'AWS::S3::Bucket')[ids.media]?.Properties.LoggingConfiguration,
      ).toEqual({ DestinationBucketName: { Ref: ids.logs }, LogFilePrefix: 'media/' });
      template.hasResourceProperties('AWS::S3::BucketPolicy', {
        Bucket: { Ref: ids.logs },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Allow',
              Action: 's3:PutObject',
              Principal: { Service: 'logging.s3.amazonaws.com' },
            }),
          ]),
        },
      });
    });
  });

  describe('HTTP API', () => {
    it('has exactly the registry routes, each IAM (SigV4) authorized, and the webhook routes open', () => {
      const routes = Object.values(resources(template, 'AWS::ApiGatewayV2::Route'));
      expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(
        [...API_ROUTES, ...WEBHOOK_ROUTES].sort(),
      );
      for (const route of routes) {
        const webhook = (WEBHOOK_ROUTES as readonly unknown[]).includes(route.Properties.RouteKey);
        expect(route.Properties.AuthorizationType).toBe(webhook ? 'NONE' : 'AWS_IAM');
      }
    });

    it('integrates the API routes with the api function and webhooks with the webhook function (payload format 2.0)', () => {
      const webhook = logicalIdByPath(
        template,
        'AWS::Lambda::Function',
        '/Webhook/Function/Resource',
      );
      template.resourceCountIs('AWS::ApiGatewayV2::Integration', 2);
      for (const fn of [ids.api, webhook]) {
        template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
          IntegrationType: 'AWS_PROXY',
          IntegrationUri: getAtt(fn),
          PayloadFormatVersion: '2.0',
        });
      }
    });

    it('logs access as JSON to a retained log group, and throttles', () => {
      const logGroup = logicalIdByPath(template, 'AWS::Logs::LogGroup', '/ApiAccessLogs/Resource');
      template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        AccessLogSettings: {
          DestinationArn: getAtt(logGroup),
          Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
        },
        DefaultRouteSettings: {
          ThrottlingRateLimit: ANNOTATION_SERVICE_DEFAULTS.apiThrottle.rateLimit,
          ThrottlingBurstLimit: ANNOTATION_SERVICE_DEFAULTS.apiThrottle.burstLimit,
        },
      });
    });
  });

  describe('sweeper', () => {
    it('runs the sweeper every 15 minutes, without retries (the next sweep is the retry)', () => {
      const sweeper = logicalIdByPath(
        template,
        'AWS::Lambda::Function',
        '/Sweeper/Function/Resource',
      );
      template.hasResourceProperties('AWS::Events::Rule', {
        ScheduleExpression: 'rate(15 minutes)',
        State: 'ENABLED',
        Targets: [
          Match.objectLike({ Arn: getAtt(sweeper), RetryPolicy: { MaximumRetryAttempts: 0 } }),
        ],
      });
    });
  });

  describe('alarms and outputs', () => {
    it('alarms on function errors and throttles and on DLQ messages, each described', () => {
      const alarms = Object.values(resources(template, 'AWS::CloudWatch::Alarm'));
      const byMetric = alarms.map((a) => `${a.Properties.Namespace}/${a.Properties.MetricName}`);
      expect(byMetric.sort()).toEqual([
        ...Array(5).fill('AWS/Lambda/Errors'),
        ...Array(5).fill('AWS/Lambda/Throttles'),
        'AWS/SQS/ApproximateNumberOfMessagesVisible',
        ...Array(3).fill('AWS/States/ExecutionsFailed'),
      ]);
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmDescription).toEqual(expect.stringMatching(/.{40,}/));
        expect(alarm.Properties).toMatchObject({
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
      }
    });

    it('outputs the API URL, the table name and the bucket name', () => {
      const outputs = template.findOutputs('*');
      const byId = (prefix: string) =>
        Object.entries(outputs).find(([id]) => id.startsWith(prefix))?.[1];
      expect(byId('ServiceApiUrl')?.Value).toBeDefined();
      expect(byId('ServiceTableName')?.Value).toEqual({ Ref: ids.table });
      expect(byId('ServiceMediaBucketName')?.Value).toEqual({ Ref: ids.media });
    });
  });
});

describe('Construct: AnnotationService (props)', () => {
  it('applies sizing, async-invoke, retention, throttle and removal overrides', () => {
    const { template } = synthService({
      removalPolicy: RemovalPolicy.DESTROY,
      deletionProtection: false,
      ingest: {
        memorySize: 256,
        timeout: Duration.minutes(2),
        retryAttempts: 0,
        maxEventAge: Duration.minutes(5),
      },
      api: { memorySize: 2048, timeout: Duration.seconds(10) },
      apiThrottle: { rateLimit: 5, burstLimit: 10 },
    });
    const fns = resources(template, 'AWS::Lambda::Function');
    const ingest = logicalIdByPath(template, 'AWS::Lambda::Function', '/Ingest/Function/Resource');
    const api = logicalIdByPath(template, 'AWS::Lambda::Function', '/Api/Function/Resource');
    expect(fns[ingest]?.Properties).toMatchObject({ MemorySize: 256, Timeout: 120 });
    expect(fns[api]?.Properties).toMatchObject({ MemorySize: 2048, Timeout: 10 });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 300,
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      Replicas: [Match.objectLike({ DeletionProtectionEnabled: false })],
    });
    for (const type of ['AWS::DynamoDB::GlobalTable', 'AWS::S3::Bucket', 'AWS::Logs::LogGroup']) {
      for (const r of Object.values(resources(template, type)))
        expect(r.DeletionPolicy).toBe('Delete');
    }
  });

  it('makes no IAM user or signer secret with mediaLinkSigner: false; the roles sign', () => {
    const { template } = synthService({ mediaLinkSigner: false });

    expect(resources(template, 'AWS::IAM::User')).toEqual({});
    expect(resources(template, 'AWS::IAM::AccessKey')).toEqual({});
    expect(JSON.stringify(template.toJSON())).not.toContain(SERVICE_ENV.MEDIA_LINK_SIGNER_SECRET);
  });
});
