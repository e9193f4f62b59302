import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AssetHashType,
  type CfnResource,
  DockerImage,
  Duration,
  RemovalPolicy,
  Validations,
} from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  Code,
  type EventInvokeConfigOptions,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { SERVICE_ENV } from '../lib/config/service-env.js';
import { BACKENDS_DIR, type FunctionBuildRequest, HANDLER_MODULE } from './function-build.js';
import type { FunctionEntry } from './function-entries.js';
import { acknowledgeWildcardResource } from './nag.js';

/** One of the env var names in `SERVICE_ENV`: the only names a `bind*` helper may set. */
export type ServiceEnvName = (typeof SERVICE_ENV)[keyof typeof SERVICE_ENV];

/** `read`: get/query only. `readWrite`: also put/update/delete (tables) or put (buckets). */
export type DataAccess = 'read' | 'readWrite' | 'readWriteDelete';

/** Repository root: handler entries are resolved against it, and the build runs in it. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Lambda's limits: https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html */
export const LAMBDA_LIMITS = {
  minMemoryMiB: 128,
  maxMemoryMiB: 10_240,
  maxTimeout: Duration.minutes(15),
} as const;

/**
 * Builds a function's asset in a child process (cdk/function-build.ts has the options):
 * bundling at synth is synchronous, esbuild's plugins are not. Returns the asset's code.
 */
function functionCode(request: Omit<FunctionBuildRequest, 'outDir'>): Code {
  const build = (outDir: string) => [
    process.execPath,
    '--import',
    'tsx',
    join(PROJECT_ROOT, 'cdk', 'build-function-cli.ts'),
    JSON.stringify({ ...request, outDir }),
  ];
  return Code.fromAsset(PROJECT_ROOT, {
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // Never pulled: local bundling below always succeeds or throws (no Docker needed).
      image: DockerImage.fromRegistry('annoflow/local-bundling-only'),
      // Unused too, but part of the staging cache key: without the request in it, every
      // function would get the first function's asset.
      command: build('/asset-output'),
      local: {
        tryBundle(outDir) {
          const [node, ...args] = build(outDir) as [string, ...string[]];
          execFileSync(node, args, {
            cwd: PROJECT_ROOT,
            stdio: ['ignore', 'inherit', 'inherit'],
          });
          return true;
        },
      },
    },
  });
}

// Data-plane actions only (no DescribeTable, no streams, no PartiQL). Transactions are
// authorized per contained action, so these cover TransactWriteItems/TransactGetItems too.
// No Scan: datasets are listed through gsi1 (lib/store/keys.ts), never by scanning.
const TABLE_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
] as const;
const TABLE_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;
// An index can only be read; Query is all a lookup by gsi1 needs.
const INDEX_READ_ACTIONS = ['dynamodb:Query'] as const;
const OBJECT_READ_ACTIONS = ['s3:GetObject'] as const;
const OBJECT_WRITE_ACTIONS = ['s3:PutObject'] as const;
// Run steps delete what they own under runs/ (manifests at cleanup, superseded merge plans).
const OBJECT_DELETE_ACTIONS = ['s3:DeleteObject'] as const;

export interface FunctionSizing {
  /** Memory in MiB (128–10,240). CPU scales with it; init time does not (PERFORMANCE.md §1.2). */
  readonly memorySize: number;
  /** Timeout, 1 s to 15 min. */
  readonly timeout: Duration;
}

export interface ProjectFunctionProps extends FunctionSizing {
  /** Which Lambda this is, from `FUNCTION_ENTRIES`. */
  readonly entry: FunctionEntry;
  /** Retention of the function's own log group. */
  readonly logRetention: RetentionDays;
  /** Removal policy of the log group. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** X-Ray tracing. @default Tracing.ACTIVE */
  readonly tracing?: Tracing;
  /** Retries, event age and destinations for asynchronous invocations (S3 events). */
  readonly asyncInvoke?: EventInvokeConfigOptions;
  /** Extra environment variables (service names belong in `bindTable`/`bindBucket`). */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Users' backend modules (name → absolute path of a .ts/.js module), bundled beside the
   * handler as `backends/<name>.mjs` and exposed to the annotation config as that backend's
   * `module` (FiftyOne's `config_cls`): `ANNOFLOW_<NAME>_MODULE`, `ANNOFLOW_ANNOTATION_BACKENDS`.
   */
  readonly backendModules?: Readonly<Record<string, string>>;
}

/** Where a bundled backend module lives in the Lambda's file system. */
export const LAMBDA_BACKENDS_DIR = `/var/task/${BACKENDS_DIR}`;

/** The env entries that point the annotation config at bundled backend modules. */
export function backendModuleEnvironment(
  modules: Readonly<Record<string, string>>,
): Record<string, string> {
  const names = Object.keys(modules);
  if (names.length === 0) return {};
  return {
    // `*` keeps every built-in backend exposed beside the user's (SEMANTICS §8.4).
    ANNOFLOW_ANNOTATION_BACKENDS: ['*', ...names].join(','),
    ...Object.fromEntries(
      names.map((name) => [
        `ANNOFLOW_${name.toUpperCase()}_MODULE`,
        `${LAMBDA_BACKENDS_DIR}/${name}.mjs`,
      ]),
    ),
  };
}

/** Every problem with a function's sizing, each prefixed with `path` (empty if none). */
export function functionSizingErrors(path: string, sizing: Partial<FunctionSizing>): string[] {
  const errors: string[] = [];
  const { memorySize, timeout } = sizing;
  if (
    memorySize !== undefined &&
    (!Number.isInteger(memorySize) ||
      memorySize < LAMBDA_LIMITS.minMemoryMiB ||
      memorySize > LAMBDA_LIMITS.maxMemoryMiB)
  ) {
    errors.push(
      `${path}.memorySize must be an integer from ${LAMBDA_LIMITS.minMemoryMiB} to ${LAMBDA_LIMITS.maxMemoryMiB} MiB, got ${memorySize}`,
    );
  }
  if (timeout !== undefined && !timeout.isUnresolved()) {
    const ms = timeout.toMilliseconds();
    if (ms < 1000 || ms > LAMBDA_LIMITS.maxTimeout.toMilliseconds() || ms % 1000 !== 0) {
      errors.push(
        `${path}.timeout must be whole seconds from 1 s to 15 min, got ${timeout.toHumanString()}`,
      );
    }
  }
  return errors;
}

/**
 * A Lambda with the project's defaults fixed (STYLE.md §7.9): Node.js 22 on arm64, ESM bundle
 * built locally by esbuild (cdk/function-build.ts: minified, split, source maps on, names
 * kept, AWS SDK bundled), its own log group with retention, explicit memory and timeout,
 * tracing, and a role that starts with nothing but writing to that log group. Access to data is added with `bindTable` and
 * `bindBucket`, which set the env var and grant least privilege in one call.
 */
export class ProjectFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: IRole;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ProjectFunctionProps) {
    super(scope, id);
    const errors = functionSizingErrors(id, props);
    const entryPath = join(PROJECT_ROOT, props.entry.entry);
    if (!existsSync(entryPath)) errors.push(`${id}.entry: no handler file at ${entryPath}`);
    if (errors.length > 0) {
      throw new Error(`Invalid ProjectFunction props:\n- ${errors.join('\n- ')}`);
    }

    this.logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole: that managed policy may create
    // log groups and write to any of them; this one writes to its own log group only.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.entry.id}`,
    });
    this.logGroup.grantWrite(role);
    this.role = role;

    const modules = props.backendModules ?? {};
    this.function = new LambdaFunction(this, 'Function', {
      code: functionCode({ entry: entryPath, backendModules: { ...modules } }),
      handler: `${HANDLER_MODULE}.${props.entry.handler}`,
      description: props.entry.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: props.tracing ?? Tracing.ACTIVE,
      ...props.asyncInvoke,
      environment: {
        ...props.environment,
        ...backendModuleEnvironment(modules),
        NODE_OPTIONS: ['--enable-source-maps', ...(props.entry.nodeOptions ?? [])].join(' '),
      },
    });
    if (Object.keys(modules).length > 0) {
      // Read by the local runtime, which loads the sources instead of the bundles.
      (this.function.node.defaultChild as CfnResource).addMetadata('annoflow:backendModules', {
        ...modules,
      });
    }

    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'Pinned to nodejs22.x on purpose: the project builds and tests on Node 22 (the `node` devDependency), so the runtime moves to a newer Node only together with the toolchain.',
    });
    if ((props.tracing ?? Tracing.ACTIVE) !== Tracing.DISABLED) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          "X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, so AWS requires Resource '*' (https://docs.aws.amazon.com/xray/latest/devguide/security_iam_service-with-iam.html). No other statement of this role uses '*' (test/cdk asserts it).",
      });
    }
  }

  /**
   * Points `envVar` at `table` and grants `access` to it: on the table itself and, for reads
   * through a GSI, on each named index (no `index/*` wildcard). Keys only, no control plane.
   */
  bindTable(
    table: ITableV2,
    access: DataAccess,
    envVar: ServiceEnvName,
    options: { readonly indexNames?: readonly string[] } = {},
  ): this {
    this.function.addEnvironment(envVar, table.tableName);
    // Items are deleted with the write actions; 'readWriteDelete' differs for objects only.
    const actions =
      access === 'read' ? [...TABLE_READ_ACTIONS] : [...TABLE_READ_ACTIONS, ...TABLE_WRITE_ACTIONS];
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [table.tableArn] }));
    const indexNames = options.indexNames ?? [];
    if (indexNames.length > 0) {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: [...INDEX_READ_ACTIONS],
          resources: indexNames.map((name) => `${table.tableArn}/index/${name}`),
        }),
      );
    }
    if (table.encryptionKey) {
      if (access === 'read') table.encryptionKey.grantDecrypt(this.role);
      else table.encryptionKey.grantEncryptDecrypt(this.role);
    }
    return this;
  }

  /**
   * Points `envVar` at `bucket` and grants `access` to the objects under `prefix` only:
   * `read` = GetObject, `readWrite` = GetObject + PutObject. No listing, no deletes, no
   * bucket-level actions.
   */
  bindBucket(
    bucket: IBucket,
    access: DataAccess,
    envVar: ServiceEnvName,
    options: { readonly prefix: string },
  ): this {
    if (!/^[^*?]+\/$/.test(options.prefix)) {
      throw new Error(
        `bindBucket prefix must be a literal folder ending in '/', got '${options.prefix}'`,
      );
    }
    this.function.addEnvironment(envVar, bucket.bucketName);
    const actions =
      access === 'read'
        ? [...OBJECT_READ_ACTIONS]
        : access === 'readWrite'
          ? [...OBJECT_READ_ACTIONS, ...OBJECT_WRITE_ACTIONS]
          : [...OBJECT_READ_ACTIONS, ...OBJECT_WRITE_ACTIONS, ...OBJECT_DELETE_ACTIONS];
    const objects = bucket.arnForObjects(`${options.prefix}*`);
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [objects] }));
    acknowledgeWildcardResource(
      this.role,
      objects,
      `Objects under ${options.prefix} only (${actions.join(', ')}): object keys are not known at deploy time, so a prefix wildcard is the narrowest S3 resource.`,
    );
    if (bucket.encryptionKey) {
      if (access === 'read') bucket.encryptionKey.grantDecrypt(this.role);
      else bucket.encryptionKey.grantEncryptDecrypt(this.role);
    }
    return this;
  }

  /** ListBucket on `bucket`, for keys under `prefix` only (deleting a folder lists it first). */
  allowListing(bucket: IBucket, prefix: string): this {
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      }),
    );
    return this;
  }
}
