import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import {
  Arn,
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { AttributeType, Billing, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaFunctionTarget } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  EventType,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { LambdaDestination } from 'aws-cdk-lib/aws-s3-notifications';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { BUILTIN_BACKEND_FACTORIES } from '../lib/backends/registry.js';
import { SERVICE_ENV } from '../lib/config/service-env.js';
import { BLOB_PREFIX } from '../lib/store/keys.js';
import { TABLE } from '../lib/store/table.js';
import type { WorkflowName } from '../lib/workflows/engine.js';
import {
  API_ROUTES,
  FUNCTION_ENTRIES,
  MEDIA_PREFIX,
  RUNS_PREFIX,
  WEBHOOK_ROUTES,
} from './function-entries.js';
import { MediaLinkSigner } from './media-link-signer.js';
import { acknowledgeWildcardResource } from './nag.js';
import { type FunctionSizing, functionSizingErrors, ProjectFunction } from './project-function.js';
import {
  AnnotationWorkflows,
  workflowArn,
  workflowEnvironment,
  workflowStateMachineName,
} from './workflows.js';

/** Ingest retries and event age for S3's asynchronous invocations. */
export interface IngestOptions extends Partial<FunctionSizing> {
  /** Retries after a failed S3 event (0-2). @default 2 */
  readonly retryAttempts?: number;
  /** Oldest S3 event still processed (60 s to 6 h); older ones go to the DLQ. @default 1 hour */
  readonly maxEventAge?: Duration;
}

export interface AnnotationServiceProps {
  /**
   * What happens to the table, the buckets and the log groups when the stack is deleted.
   * `DESTROY` suits throwaway stacks only; a bucket that still holds objects fails to delete.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** DynamoDB deletion protection. Must be false with `RemovalPolicy.DESTROY`. @default true */
  readonly deletionProtection?: boolean;
  /** Retention of the functions' and the API's log groups. @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** Days S3 server access logs are kept. @default 90 */
  readonly accessLogExpirationDays?: number;
  /** Ingest function sizing and async-invoke policy. @default 512 MiB, 30 s, 2 retries, 1 h */
  readonly ingest?: IngestOptions;
  /** API function sizing; the timeout must stay below HTTP API's 30 s. @default 1024 MiB, 29 s */
  readonly api?: Partial<FunctionSizing>;
  /** Stage-wide throttling of the HTTP API. @default 50 requests/s steady, burst 100 */
  readonly apiThrottle?: ThrottleSettings;
  /** Workflow functions' sizing (annotate, load, cleanup) and the webhook functions'. */
  readonly annotate?: Partial<FunctionSizing>;
  readonly load?: Partial<FunctionSizing>;
  readonly cleanup?: Partial<FunctionSizing>;
  readonly webhook?: Partial<FunctionSizing>;
  /**
   * How often the sweeper asks the tools about open tasks (the bound on how late a merge is
   * when a webhook is lost). @default 15 minutes
   */
  readonly sweepInterval?: Duration;
  /**
   * Sign presigned media links (Label Studio, Labelbox, files, CVAT `remote_files`) with a
   * dedicated IAM user's access key, so they live the 7 days they name. `false` for
   * organizations that forbid IAM users: the functions' roles sign, and a link dies with the
   * role's session, within hours (README, "Media links"). @default true
   */
  readonly mediaLinkSigner?: boolean;
  /**
   * Your own annotation backends (FiftyOne's `config_cls`): backend name → path of a module
   * exporting `createBackend` (see lib/backends). Each is bundled into every function that
   * runs backends and exposed to the annotation config under that name. @default none
   */
  readonly backendModules?: Readonly<Record<string, string>>;
  /**
   * Annotation config for the functions that run backends, as FiftyOne reads it from its
   * environment: `FIFTYONE_CVAT_URL`, `FIFTYONE_CVAT_WEBHOOK_URL`, `ANNOFLOW_ANNOTATION_DEFAULT_BACKEND`…
   * Credentials are refused here: put them in `backendCredentials`. @default none
   */
  readonly backendEnvironment?: Readonly<Record<string, string>>;
  /**
   * Credentials for the backends, by variable name (`FIFTYONE_CVAT_PASSWORD`,
   * `FIFTYONE_LABELBOX_API_KEY`…) → the name or ARN of a Secrets Manager secret holding the
   * value. Read at run time; never in the functions' configuration. @default none
   */
  readonly backendCredentials?: Readonly<Record<string, string>>;
  /** Pages uploaded at once in AnnotateWorkflow's Map. @default 10 */
  readonly uploadConcurrency?: number;
  /** Tasks loaded at once in LoadWorkflow's Map. @default 10 */
  readonly loadConcurrency?: number;
}

/** Defaults applied by `AnnotationService` (listed in the README's "Default settings"). */
export const ANNOTATION_SERVICE_DEFAULTS = {
  removalPolicy: RemovalPolicy.RETAIN,
  deletionProtection: true,
  logRetention: RetentionDays.ONE_MONTH,
  accessLogExpirationDays: 90,
  ingest: {
    memorySize: 512,
    timeout: Duration.seconds(30),
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
  },
  api: { memorySize: 1024, timeout: Duration.seconds(29) },
  // A page of 1,000 samples uploads in seconds; a tool that is slow gets minutes.
  annotate: { memorySize: 1024, timeout: Duration.minutes(5) },
  // A merge holds one page of samples (bounded memory); big tasks take their time.
  load: { memorySize: 2048, timeout: Duration.minutes(15) },
  cleanup: { memorySize: 512, timeout: Duration.minutes(5) },
  // Tools time out quickly (Label Studio after 1 s): answer fast, the load runs elsewhere.
  webhook: { memorySize: 512, timeout: Duration.seconds(29) },
  sweeper: { memorySize: 512, timeout: Duration.minutes(15) },
  sweepInterval: Duration.minutes(15),
  apiThrottle: { rateLimit: 50, burstLimit: 100 },
} as const;

// HTTP API's integration timeout is 30 s, hard; a longer Lambda would run on after the 503.
// https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html
const HTTP_API_MAX_TIMEOUT = Duration.seconds(29);
// Lambda async-invoke limits: https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-configure.html
const MAX_ASYNC_RETRIES = 2;
const MIN_EVENT_AGE = Duration.seconds(60);
const MAX_EVENT_AGE = Duration.hours(6);
const SUPPORTED_REMOVAL_POLICIES: readonly RemovalPolicy[] = [
  RemovalPolicy.RETAIN,
  RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
  RemovalPolicy.DESTROY,
];

/**
 * Every problem with `props` (empty if none). All are collected so one synth reports them
 * all, not the first.
 */
export function annotationServicePropsErrors(props: AnnotationServiceProps): string[] {
  const errors: string[] = [];
  const removalPolicy = props.removalPolicy ?? ANNOTATION_SERVICE_DEFAULTS.removalPolicy;
  if (!SUPPORTED_REMOVAL_POLICIES.includes(removalPolicy)) {
    errors.push(
      `removalPolicy must be one of ${SUPPORTED_REMOVAL_POLICIES.join(', ')} (S3 buckets cannot be snapshotted), got ${removalPolicy}`,
    );
  }
  if (removalPolicy === RemovalPolicy.DESTROY && props.deletionProtection !== false) {
    errors.push(
      'deletionProtection must be false with removalPolicy DESTROY (CloudFormation cannot delete a protected table)',
    );
  }
  const days = props.accessLogExpirationDays;
  if (days !== undefined && (!Number.isInteger(days) || days < 1)) {
    errors.push(`accessLogExpirationDays must be a whole number of days >= 1, got ${days}`);
  }

  const ingest = props.ingest ?? {};
  errors.push(...functionSizingErrors('ingest', ingest));
  const retries = ingest.retryAttempts;
  if (retries !== undefined && (!Number.isInteger(retries) || retries < 0 || retries > 2)) {
    errors.push(`ingest.retryAttempts must be 0, 1 or ${MAX_ASYNC_RETRIES}, got ${retries}`);
  }
  const age = ingest.maxEventAge;
  if (
    age !== undefined &&
    !age.isUnresolved() &&
    (age.toSeconds() < MIN_EVENT_AGE.toSeconds() || age.toSeconds() > MAX_EVENT_AGE.toSeconds())
  ) {
    errors.push(`ingest.maxEventAge must be from 60 s to 6 h, got ${age.toHumanString()}`);
  }

  const api = props.api ?? {};
  errors.push(...functionSizingErrors('api', api));
  if (
    api.timeout !== undefined &&
    !api.timeout.isUnresolved() &&
    api.timeout.toMilliseconds() > HTTP_API_MAX_TIMEOUT.toMilliseconds()
  ) {
    errors.push(
      `api.timeout must be at most 29 s (HTTP API stops waiting at 30 s), got ${api.timeout.toHumanString()}`,
    );
  }
  for (const [name, path] of Object.entries(props.backendModules ?? {})) {
    if (!/^[a-z][a-z0-9_]*$/.test(name)) {
      errors.push(
        `backendModules: '${name}' must be lower-case letters, digits and _ (an env var suffix)`,
      );
    } else if (Object.hasOwn(BUILTIN_BACKEND_FACTORIES, name)) {
      errors.push(`backendModules: '${name}' is a built-in backend; choose another name`);
    }
    if (!isAbsolute(path) || !existsSync(path)) {
      errors.push(`backendModules.${name}: no module at '${path}' (give an absolute path)`);
    }
  }
  const variable = /^(ANNOFLOW|FIFTYONE)_[A-Z0-9_]+$/;
  const credential = /(PASSWORD|API_KEY|TOKEN|SECRET)/;
  for (const name of Object.keys(props.backendEnvironment ?? {})) {
    if (!variable.test(name)) {
      errors.push(`backendEnvironment: '${name}' is not an ANNOFLOW_/FIFTYONE_ variable`);
    } else if (credential.test(name)) {
      errors.push(
        `backendEnvironment: '${name}' looks like a credential; give it in backendCredentials (a Secrets Manager secret) instead`,
      );
    }
  }
  for (const name of Object.keys(props.backendCredentials ?? {})) {
    if (!variable.test(name)) {
      errors.push(`backendCredentials: '${name}' is not an ANNOFLOW_/FIFTYONE_ variable`);
    }
  }
  const throttle = props.apiThrottle;
  for (const key of ['rateLimit', 'burstLimit'] as const) {
    const value = throttle?.[key];
    if (value !== undefined && (!Number.isFinite(value) || value < 0)) {
      errors.push(`apiThrottle.${key} must be a number >= 0, got ${value}`);
    }
  }
  return errors;
}

/**
 * The whole annoflow service in one construct: the table, the media bucket (and its access
 * log bucket), the ingest function on the bucket's `datasets/` events with a DLQ, the API
 * function behind an IAM-authorized HTTP API, alarms and outputs. Every default is in
 * {@link ANNOTATION_SERVICE_DEFAULTS} and can be overridden through props; props are checked
 * at synth and every problem is reported at once.
 */
export class AnnotationService extends Construct {
  readonly table: TableV2;
  readonly mediaBucket: Bucket;
  readonly accessLogsBucket: Bucket;
  readonly ingestFunction: ProjectFunction;
  readonly ingestDeadLetterQueue: Queue;
  readonly apiFunction: ProjectFunction;
  readonly httpApi: HttpApi;
  readonly apiStage: HttpStage;
  readonly apiAccessLogGroup: LogGroup;
  readonly annotateFunction: ProjectFunction;
  readonly loadFunction: ProjectFunction;
  readonly cleanupFunction: ProjectFunction;
  readonly webhookFunction: ProjectFunction;
  readonly resultsFunction: ProjectFunction;
  readonly sweeperFunction: ProjectFunction;
  readonly workflows: AnnotationWorkflows;
  /** Alarms without actions: attach an SNS topic or a pager with `alarm.addAlarmAction`. */
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: AnnotationServiceProps = {}) {
    super(scope, id);
    const errors = annotationServicePropsErrors(props);
    if (errors.length > 0) {
      throw new Error(
        `Invalid AnnotationService props (${errors.length}):\n- ${errors.join('\n- ')}`,
      );
    }
    const defaults = ANNOTATION_SERVICE_DEFAULTS;
    const removalPolicy = props.removalPolicy ?? defaults.removalPolicy;
    const logRetention = props.logRetention ?? defaults.logRetention;

    // One table for every entity; keys are built only in lib/store/keys.ts:
    //
    //   item      pk                          sk             gsi1pk                          gsi1sk
    //   dataset   DS#<dataset>                META           DATASETS                        DS#<dataset>
    //   sample    DS#<dataset>                S#<sampleId>
    //   object    DS#<dataset>                OBJ#<mediaKey>
    //   run       DS#<dataset>                RUN#<annoKey>
    //   task      RUN#<dataset>#<annoKey>     T#<taskId>     TASK#<backend>#<backendTaskId>  T#<taskId>
    //   execution RUN#<dataset>#<annoKey>     X#<startDate>#<executionName>
    //   intent    RUN#<dataset>#<annoKey>     XI#<executionName>
    //   delivery  HOOK#<backend>#<deliveryId> HOOK                                                  (TTL)
    //   sweep     SWEEP                       RESUME         (where the next sweep begins)
    //
    // gsi1 (projection ALL) answers "which task is this backend task id" for webhooks and
    // lists datasets without a scan. `expiresAt` (epoch seconds) lets DynamoDB expire
    // delivery records; expiry is lazy, so readers also filter on it.
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: props.deletionProtection ?? defaults.deletionProtection,
      timeToLiveAttribute: TABLE.ttlAttribute,
      globalSecondaryIndexes: [
        {
          indexName: TABLE.gsi1.indexName,
          partitionKey: { name: TABLE.gsi1.partitionKey, type: AttributeType.STRING },
          sortKey: { name: TABLE.gsi1.sortKey, type: AttributeType.STRING },
        },
      ],
      removalPolicy,
    });

    // Server access logs need SSE-S3 on the target bucket (SSE-KMS is not supported there).
    // Being the media bucket's log target, it needs no access logs of its own (cdk-nag S1
    // agrees: a bucket other buckets log into is compliant).
    this.accessLogsBucket = new Bucket(this, 'AccessLogsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      lifecycleRules: [
        {
          expiration: Duration.days(
            props.accessLogExpirationDays ?? defaults.accessLogExpirationDays,
          ),
        },
      ],
      removalPolicy,
    });

    this.mediaBucket = new Bucket(this, 'MediaBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'media/',
      lifecycleRules: [{ abortIncompleteMultipartUploadAfter: Duration.days(7) }],
      removalPolicy,
    });

    // Ingest: S3 invokes it asynchronously; what still fails after the retries, or waits
    // longer than maxEventAge, lands in the DLQ with the original event and the error.
    this.ingestDeadLetterQueue = new Queue(this, 'IngestDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.ingestDeadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        "This queue IS the ingest function's dead-letter destination (Lambda on-failure destination); a DLQ of a DLQ would only move the same failed S3 events once more.",
    });
    const ingest = props.ingest ?? {};
    this.ingestFunction = new ProjectFunction(this, FUNCTION_ENTRIES.ingest.id, {
      entry: FUNCTION_ENTRIES.ingest,
      memorySize: ingest.memorySize ?? defaults.ingest.memorySize,
      timeout: ingest.timeout ?? defaults.ingest.timeout,
      logRetention,
      logRemovalPolicy: removalPolicy,
      asyncInvoke: {
        retryAttempts: ingest.retryAttempts ?? defaults.ingest.retryAttempts,
        maxEventAge: ingest.maxEventAge ?? defaults.ingest.maxEventAge,
        onFailure: new SqsDestination(this.ingestDeadLetterQueue),
      },
    })
      .bindTable(this.table, 'readWrite', SERVICE_ENV.TABLE_NAME, {
        indexNames: [TABLE.gsi1.indexName],
      })
      .bindBucket(this.mediaBucket, 'read', SERVICE_ENV.MEDIA_BUCKET, { prefix: MEDIA_PREFIX })
      // Ingest updates samples, whose large fields live under blobs/ (read, and re-offloaded).
      .bindBucket(this.mediaBucket, 'readWrite', SERVICE_ENV.MEDIA_BUCKET, { prefix: BLOB_PREFIX });
    for (const event of [EventType.OBJECT_CREATED, EventType.OBJECT_REMOVED]) {
      this.mediaBucket.addEventNotification(
        event,
        new LambdaDestination(this.ingestFunction.function),
        { prefix: MEDIA_PREFIX },
      );
    }
    this.acknowledgeBucketNotificationsHandler();

    // API: one function behind every route, each route signed with SigV4 (IAM).
    const api = props.api ?? {};
    this.apiFunction = new ProjectFunction(this, FUNCTION_ENTRIES.api.id, {
      entry: FUNCTION_ENTRIES.api,
      memorySize: api.memorySize ?? defaults.api.memorySize,
      timeout: api.timeout ?? defaults.api.timeout,
      logRetention,
      logRemovalPolicy: removalPolicy,
      ...(props.backendModules ? { backendModules: props.backendModules } : {}),
    })
      .bindTable(this.table, 'readWrite', SERVICE_ENV.TABLE_NAME, {
        indexNames: [TABLE.gsi1.indexName],
      })
      .bindBucket(this.mediaBucket, 'readWrite', SERVICE_ENV.MEDIA_BUCKET, {
        prefix: MEDIA_PREFIX,
      })
      // Samples' large fields (read, written by imports and edits, deleted with a dataset,
      // which lists them), and runs' reports and results (read).
      .bindBucket(this.mediaBucket, 'readWriteDelete', SERVICE_ENV.MEDIA_BUCKET, {
        prefix: BLOB_PREFIX,
      })
      .allowListing(this.mediaBucket, BLOB_PREFIX)
      .bindBucket(this.mediaBucket, 'read', SERVICE_ENV.MEDIA_BUCKET, { prefix: RUNS_PREFIX });

    // Workflows: one function per workflow, bound to what its steps touch.
    const sized = (
      key: 'annotate' | 'load' | 'cleanup' | 'webhook' | 'results' | 'sweeper',
      sizing: Partial<FunctionSizing> | undefined,
      fallback: FunctionSizing,
    ) =>
      new ProjectFunction(this, FUNCTION_ENTRIES[key].id, {
        entry: FUNCTION_ENTRIES[key],
        memorySize: sizing?.memorySize ?? fallback.memorySize,
        timeout: sizing?.timeout ?? fallback.timeout,
        logRetention,
        logRemovalPolicy: removalPolicy,
        ...(props.backendModules ? { backendModules: props.backendModules } : {}),
      });
    const stack = Stack.of(this);
    const withTable = (fn: ProjectFunction) =>
      fn.bindTable(this.table, 'readWrite', SERVICE_ENV.TABLE_NAME, {
        indexNames: [TABLE.gsi1.indexName],
      });
    // Backends keep the webhook secrets they generate in Secrets Manager, under the stack's
    // own prefix; only functions that run backends may touch them.
    const secretsPrefix = `annoflow/${stack.stackName}/`;
    const secrets = Arn.format(
      {
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: `${secretsPrefix}*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      stack,
    );
    const withWorkflows = (fn: ProjectFunction, secretAccess: 'read' | 'readWrite' = 'read') => {
      for (const [name, value] of Object.entries(workflowEnvironment(stack))) {
        fn.function.addEnvironment(name, value);
      }
      return withSecrets(fn, secretAccess);
    };
    const credentialSecrets = Object.entries(props.backendCredentials ?? {});
    const credentialArns = [
      ...new Set(
        credentialSecrets.map(([, id]) =>
          id.startsWith('arn:')
            ? id
            : Arn.format(
                {
                  service: 'secretsmanager',
                  resource: 'secret',
                  // Secrets Manager appends six random characters to a secret's ARN.
                  resourceName: `${id}-??????`,
                  arnFormat: ArnFormat.COLON_RESOURCE_NAME,
                },
                stack,
              ),
        ),
      ),
    ];
    const withSecrets = (fn: ProjectFunction, secretAccess: 'read' | 'readWrite') => {
      for (const [name, value] of Object.entries(props.backendEnvironment ?? {})) {
        fn.function.addEnvironment(name, value);
      }
      if (credentialSecrets.length > 0) {
        fn.function.addEnvironment(
          SERVICE_ENV.CREDENTIAL_SECRETS,
          JSON.stringify(Object.fromEntries(credentialSecrets)),
        );
        fn.role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: ['secretsmanager:GetSecretValue'],
            resources: credentialArns,
          }),
        );
        for (const arn of credentialArns.filter((each) => each.includes('??????'))) {
          acknowledgeWildcardResource(
            fn.role,
            arn,
            'One named credential secret: Secrets Manager appends six random characters to its ARN, matched by ?????? and nothing wider.',
          );
        }
      }
      fn.function.addEnvironment(SERVICE_ENV.SECRETS_PREFIX, secretsPrefix);
      // Webhook secrets are made (registerWebhooks, upload) and deleted (a backend's cleanup)
      // only by the workflows; the API, the webhook route, results and the sweeper only
      // verify deliveries against them, so the public webhook route cannot replace one.
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions:
            secretAccess === 'readWrite'
              ? [
                  'secretsmanager:GetSecretValue',
                  'secretsmanager:PutSecretValue',
                  'secretsmanager:CreateSecret',
                  'secretsmanager:DeleteSecret',
                ]
              : ['secretsmanager:GetSecretValue'],
          resources: [secrets],
        }),
      );
      acknowledgeWildcardResource(
        fn.role,
        secrets,
        "The backends' webhook secrets, made at run time (one per tool project): the stack's own name prefix is the narrowest resource.",
      );
      return fn;
    };
    const linkSigner =
      props.mediaLinkSigner === false
        ? undefined
        : new MediaLinkSigner(this, 'MediaLinkSigner', {
            bucket: this.mediaBucket,
            prefix: MEDIA_PREFIX,
          });
    this.annotateFunction = withWorkflows(
      withTable(sized('annotate', props.annotate, defaults.annotate))
        .bindBucket(this.mediaBucket, 'read', SERVICE_ENV.MEDIA_BUCKET, { prefix: MEDIA_PREFIX })
        .bindBucket(this.mediaBucket, 'read', SERVICE_ENV.MEDIA_BUCKET, { prefix: BLOB_PREFIX })
        .bindBucket(this.mediaBucket, 'readWriteDelete', SERVICE_ENV.MEDIA_BUCKET, {
          prefix: RUNS_PREFIX,
        })
        // Registration lists one key under runs/ to choose a run's object key.
        .allowListing(this.mediaBucket, RUNS_PREFIX),
      'readWrite',
    );
    // Uploads hand tools presigned links to the media.
    linkSigner?.grantSigning(this.annotateFunction);
    // Await Annotations parks its token and may wake its own workflow: by ARN, not by Ref,
    // since the state machine invokes this function (a Ref would be a cycle).
    this.annotateFunction.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['states:SendTaskSuccess'],
        resources: [workflowArn(stack, 'annotate')],
      }),
    );
    this.loadFunction = withSecrets(
      withTable(sized('load', props.load, defaults.load)),
      'readWrite',
    )
      .bindBucket(this.mediaBucket, 'read', SERVICE_ENV.MEDIA_BUCKET, { prefix: MEDIA_PREFIX })
      .bindBucket(this.mediaBucket, 'readWrite', SERVICE_ENV.MEDIA_BUCKET, { prefix: BLOB_PREFIX })
      .bindBucket(this.mediaBucket, 'readWriteDelete', SERVICE_ENV.MEDIA_BUCKET, {
        prefix: RUNS_PREFIX,
      });
    this.cleanupFunction = withSecrets(
      withTable(sized('cleanup', props.cleanup, defaults.cleanup)),
      'readWrite',
    ).bindBucket(this.mediaBucket, 'readWriteDelete', SERVICE_ENV.MEDIA_BUCKET, {
      prefix: RUNS_PREFIX,
    });
    this.webhookFunction = withWorkflows(
      withTable(sized('webhook', props.webhook, defaults.webhook)).bindBucket(
        this.mediaBucket,
        'read',
        SERVICE_ENV.MEDIA_BUCKET,
        { prefix: RUNS_PREFIX },
      ),
    );
    this.resultsFunction = withWorkflows(
      withTable(sized('results', props.webhook, defaults.webhook)).bindBucket(
        this.mediaBucket,
        'read',
        SERVICE_ENV.MEDIA_BUCKET,
        { prefix: RUNS_PREFIX },
      ),
    );
    this.workflows = new AnnotationWorkflows(this, 'Workflows', {
      functions: {
        annotate: this.annotateFunction.function,
        load: this.loadFunction.function,
        cleanup: this.cleanupFunction.function,
      },
      ...(props.uploadConcurrency === undefined
        ? {}
        : { uploadConcurrency: props.uploadConcurrency }),
      ...(props.loadConcurrency === undefined ? {} : { loadConcurrency: props.loadConcurrency }),
      logRetention,
      removalPolicy,
    });
    // The sweeper refreshes tasks' media links: it reads samples (blobs too) and signs links
    // to their media with its own credentials, and the files backend rewrites its manifests.
    this.sweeperFunction = withWorkflows(
      withTable(sized('sweeper', undefined, defaults.sweeper))
        .bindBucket(this.mediaBucket, 'read', SERVICE_ENV.MEDIA_BUCKET, { prefix: MEDIA_PREFIX })
        .bindBucket(this.mediaBucket, 'read', SERVICE_ENV.MEDIA_BUCKET, { prefix: BLOB_PREFIX })
        .bindBucket(this.mediaBucket, 'readWrite', SERVICE_ENV.MEDIA_BUCKET, {
          prefix: RUNS_PREFIX,
        }),
    );
    linkSigner?.grantSigning(this.sweeperFunction);
    new Rule(this, 'SweepSchedule', {
      description: 'annoflow: reconcile open annotation tasks with their tools (lost webhooks)',
      schedule: Schedule.rate(props.sweepInterval ?? defaults.sweepInterval),
      targets: [new LambdaFunctionTarget(this.sweeperFunction.function, { retryAttempts: 0 })],
    });
    const machines = this.workflows.stateMachines;
    const loadExecutions = Arn.format(
      {
        service: 'states',
        resource: 'execution',
        resourceName: `${workflowStateMachineName(stack, 'load')}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      stack,
    );
    for (const fn of [this.webhookFunction, this.resultsFunction, this.sweeperFunction]) {
      machines.load.grantStartExecution(fn.function);
      machines.annotate.grantTaskResponse(fn.function);
      // A start that finds its execution already there (a redelivery) describes it.
      fn.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [loadExecutions] }),
      );
      acknowledgeWildcardResource(
        fn.role,
        loadExecutions,
        "DescribeExecution on the load workflow's executions only: execution names are made at run time.",
      );
    }
    this.mediaBucket.addEventNotification(
      EventType.OBJECT_CREATED,
      new LambdaDestination(this.resultsFunction.function),
      { prefix: RUNS_PREFIX, suffix: '.json' },
    );

    const authorizer = new HttpIamAuthorizer();
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'annoflow: datasets, samples and annotation runs (IAM/SigV4)',
      defaultAuthorizer: authorizer,
      // The stage is created below, with access logging and throttling.
      createDefaultStage: false,
    });
    this.apiAccessLogGroup = new LogGroup(this, 'ApiAccessLogs', {
      retention: logRetention,
      removalPolicy,
    });
    this.apiStage = new HttpStage(this, 'ApiStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.apiThrottle ?? defaults.apiThrottle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.apiAccessLogGroup),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            caller: '$context.identity.userArn',
            requestTime: '$context.requestTimeEpoch',
            routeKey: '$context.routeKey',
            status: '$context.status',
            protocol: '$context.protocol',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
    const integration = new HttpLambdaIntegration('ApiIntegration', this.apiFunction.function);
    for (const routeKey of API_ROUTES) {
      const [method, path] = routeKey.split(' ') as [keyof typeof HttpMethod, string];
      this.httpApi.addRoutes({ path, methods: [HttpMethod[method]], integration, authorizer });
    }
    withWorkflows(this.apiFunction);
    // Deleting a run ends a workflow waiting on it (releaseWaiting).
    machines.annotate.grantTaskResponse(this.apiFunction.function);
    for (const [workflow, machine] of Object.entries(machines)) {
      machine.grantStartExecution(this.apiFunction.function);
      const executions = Arn.format(
        {
          service: 'states',
          resource: 'execution',
          resourceName: `${workflowStateMachineName(stack, workflow as WorkflowName)}:*`,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        },
        stack,
      );
      this.apiFunction.role.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['states:DescribeExecution'], resources: [executions] }),
      );
      acknowledgeWildcardResource(
        this.apiFunction.role,
        executions,
        `DescribeExecution on the executions of ${workflow}'s state machine only: execution names are made at run time.`,
      );
    }
    const webhookIntegration = new HttpLambdaIntegration(
      'WebhookIntegration',
      this.webhookFunction.function,
    );
    for (const routeKey of WEBHOOK_ROUTES) {
      const [method, path] = routeKey.split(' ') as [keyof typeof HttpMethod, string];
      const [route] = this.httpApi.addRoutes({
        path,
        methods: [HttpMethod[method]],
        integration: webhookIntegration,
        authorizer: new HttpNoneAuthorizer(),
      });
      if (route) {
        Validations.of(route).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason:
            'Annotation tools cannot sign SigV4: each webhook is verified by its backend (HMAC signature or secret header, timing-safe, over the raw body); unverified deliveries get 401 and change nothing.',
        });
      }
    }

    this.alarms = [
      ...this.functionAlarms('Ingest', this.ingestFunction, 'S3 events failed to ingest'),
      ...this.functionAlarms('Api', this.apiFunction, 'API requests failed with a 5xx'),
      ...this.functionAlarms('Webhook', this.webhookFunction, 'webhook deliveries failed'),
      ...this.functionAlarms(
        'Results',
        this.resultsFunction,
        'files results failed to start loads',
      ),
      ...this.functionAlarms('Sweeper', this.sweeperFunction, 'open tasks could not be reconciled'),
      ...Object.entries(machines).map(([name, machine]) =>
        this.alarm(
          `${name}WorkflowFailedAlarm`,
          machine.metricFailed({ period: Duration.minutes(5), statistic: 'Sum' }),
          `An execution of ${machine.node.path} failed in the last 5 minutes; its run says why (GET the run: status failed, failure).`,
        ),
      ),
      this.alarm(
        'IngestDeadLetterQueueAlarm',
        this.ingestDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(5),
          statistic: 'Maximum',
        }),
        'S3 events gave up after all retries and wait in the ingest DLQ: the media they name is not (or no longer) reflected in the table. Inspect the messages, fix the cause, redrive.',
      ),
    ];

    new CfnOutput(this, 'ApiUrl', {
      value: this.apiStage.url,
      description: 'HTTP API base URL (requests must be SigV4-signed for execute-api)',
    });
    new CfnOutput(this, 'TableName', {
      value: this.table.tableName,
      description: `DynamoDB table (${SERVICE_ENV.TABLE_NAME})`,
    });
    new CfnOutput(this, 'MediaBucketName', {
      value: this.mediaBucket.bucketName,
      description: `Media bucket (${SERVICE_ENV.MEDIA_BUCKET}); upload media under ${MEDIA_PREFIX}`,
    });
  }

  private functionAlarms(id: string, fn: ProjectFunction, errorsMean: string): Alarm[] {
    const name = fn.function.node.path;
    return [
      this.alarm(
        `${id}ErrorsAlarm`,
        fn.function.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
        `${name} threw or timed out at least once in 5 minutes (${errorsMean}). See its log group.`,
      ),
      this.alarm(
        `${id}ThrottlesAlarm`,
        fn.function.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
        `${name} was throttled at least once in 5 minutes: account or reserved concurrency is exhausted.`,
      ),
    ];
  }

  private alarm(id: string, metric: IMetric, description: string): Alarm {
    return new Alarm(this, id, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
  }

  /**
   * `addEventNotification` deploys CDK's own singleton handler (a custom resource that calls
   * PutBucketNotificationConfiguration) at stack level. Its one finding is CDK's, not ours,
   * and is acknowledged on that handler only.
   */
  private acknowledgeBucketNotificationsHandler(): void {
    const handler = Stack.of(this).node.tryFindChild(
      'BucketNotificationsHandler050a0587b7544547bf325f094a3db834',
    );
    if (!handler) return;
    Validations.of(handler).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        "CDK's own bucket-notifications custom-resource handler (runs only during deployment, to call s3:PutBucketNotification on the media bucket); aws-cdk-lib fixes its role's managed policy and offers no way to replace it.",
    });
  }
}
