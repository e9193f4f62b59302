import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTION_ENTRIES, type FunctionKey } from '../../cdk/function-entries.js';
import { SERVICE_ENV } from '../config/service-env.js';

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

/** A function's local ARN: its logical id is its name, so invocations map back to it. */
export function localFunctionArn(logicalId: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${logicalId}`;
}

/** The pieces of a synthesized CloudFormation template the local runtime reads. */
type Template = {
  Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; Metadata?: Record<string, unknown> }
  >;
};

export interface LocalFunction {
  logicalId: string;
  key: FunctionKey;
  entry: string;
  handler: string;
  /** Environment variables with every reference resolved to a local name. */
  env: Record<string, string>;
}

export interface LocalServiceModel {
  /** The template's resources, for the parts read elsewhere (state machines). */
  resources: Template['Resources'];
  tableName: string;
  mediaBucket: string;
  functions: LocalFunction[];
  routes: Array<{ routeKey: string; functionLogicalId: string }>;
  notifications: Array<{
    bucket: string;
    events: string[];
    prefix?: string;
    suffix?: string;
    functionLogicalId: string;
  }>;
  /** EventBridge schedules (`rate(…)`/`cron(…)`) and the function each one invokes. */
  schedules: Array<{ expression: string; functionLogicalId: string }>;
}

/**
 * Synthesizes the stack `cdk deploy` would deploy, in this process, without bundling: the
 * local runtime serves exactly the routes, notifications and environment it declares.
 */
export async function synthesizeServiceTemplate(projectRoot: string): Promise<Template> {
  const [{ App }, { AnnotationStack }] = await Promise.all([
    import('aws-cdk-lib'),
    import('../../cdk/annotation-stack.js'),
  ]);
  const context = JSON.parse(readFileSync(join(projectRoot, 'cdk.json'), 'utf8')).context as Record<
    string,
    unknown
  >;
  const app = new App({
    context: { ...context, 'aws:cdk:bundling-stacks': [], 'aws:cdk:enable-path-metadata': true },
  });
  new AnnotationStack(app, 'Annoflow', { env: { account: '000000000000', region: 'us-east-1' } });
  return app.synth().getStackByName('Annoflow').template as Template;
}

/**
 * Variables with no local counterpart. The media link signer: the stand-ins' fixed keys sign
 * links that never expire, so the local functions sign with them, as before.
 */
const NOT_LOCAL: ReadonlySet<string> = new Set([SERVICE_ENV.MEDIA_LINK_SIGNER_SECRET]);

/**
 * Reads the local service out of a template: the table and media bucket (given local
 * names), each function of `cdk/function-entries.ts` with its resolved environment, the
 * HTTP API's routes and the media bucket's notifications. An intrinsic it cannot resolve
 * fails here, at start-up, rather than as a wrong value later.
 */
export function deriveServiceModel(
  template: Template,
  names: { tableName: string; mediaBucket: string },
): LocalServiceModel {
  const resources = template.Resources;
  const ofType = (type: string) =>
    Object.entries(resources).filter(([, resource]) => resource.Type === type);
  const pathOf = (logicalId: string) =>
    String(resources[logicalId]?.Metadata?.['aws:cdk:path'] ?? '');

  const table = ofType('AWS::DynamoDB::GlobalTable').concat(ofType('AWS::DynamoDB::Table'));
  const media = ofType('AWS::S3::Bucket').find(([id]) => pathOf(id).includes('/MediaBucket/'));
  if (table.length !== 1 || !media)
    throw new Error('template: expected one table and a MediaBucket');
  const localNames: Record<string, string> = {
    [table[0]?.[0] as string]: names.tableName,
    [media[0]]: names.mediaBucket,
  };
  // A function's `Ref` to a state machine is its ARN on the local Step Functions endpoint.
  for (const [id, resource] of ofType('AWS::StepFunctions::StateMachine')) {
    const name =
      typeof resource.Properties?.StateMachineName === 'string'
        ? resource.Properties.StateMachineName
        : id;
    localNames[id] = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
  }

  const pseudo: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': LOCAL_REGION,
    'AWS::AccountId': LOCAL_ACCOUNT,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].map(resolve).join(join[0]);
    const ref = (value as { Ref?: string }).Ref;
    if (ref !== undefined && pseudo[ref] !== undefined) return pseudo[ref];
    if (ref !== undefined && localNames[ref] !== undefined) return localNames[ref];
    const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    if (getAtt?.[1] === 'Arn') return localFunctionArn(getAtt[0]);
    throw new Error(`template: cannot resolve ${JSON.stringify(value)} locally`);
  };

  const functions: LocalFunction[] = [];
  for (const [logicalId, resource] of ofType('AWS::Lambda::Function')) {
    const key = (Object.keys(FUNCTION_ENTRIES) as FunctionKey[]).find((candidate) =>
      pathOf(logicalId).includes(`/${FUNCTION_ENTRIES[candidate].id}/`),
    );
    if (!key) continue; // CDK's own helpers (bucket notifications) have no local counterpart.
    const variables = ((resource.Properties?.Environment as { Variables?: Record<string, unknown> })
      ?.Variables ?? {}) as Record<string, unknown>;
    const env = Object.fromEntries(
      Object.entries(variables)
        .filter(([name]) => !NOT_LOCAL.has(name))
        .map(([name, value]) => [name, resolve(value)]),
    );
    // Users' backend modules run from their sources here, not the bundles under /var/task.
    const modules = resource.Metadata?.['annoflow:backendModules'] as
      | Record<string, string>
      | undefined;
    for (const [name, source] of Object.entries(modules ?? {})) {
      env[`ANNOFLOW_${name.toUpperCase()}_MODULE`] = source;
    }
    const { entry, handler } = FUNCTION_ENTRIES[key];
    functions.push({ logicalId, key, entry, handler, env });
  }

  const integrations = new Map(
    ofType('AWS::ApiGatewayV2::Integration').map(([id, resource]) => [
      id,
      ((resource.Properties?.IntegrationUri as { 'Fn::GetAtt'?: [string] })?.['Fn::GetAtt'] ??
        [])[0],
    ]),
  );
  const routes = ofType('AWS::ApiGatewayV2::Route').map(([, resource]) => {
    const target = JSON.stringify(resource.Properties?.Target ?? '');
    const integrationId = [...integrations.keys()].find((id) => target.includes(`"${id}"`));
    const functionLogicalId =
      integrationId === undefined ? undefined : integrations.get(integrationId);
    if (!functionLogicalId)
      throw new Error(
        `template: route ${String(resource.Properties?.RouteKey)} has no Lambda integration`,
      );
    return { routeKey: String(resource.Properties?.RouteKey), functionLogicalId };
  });

  const notifications: LocalServiceModel['notifications'] = [];
  for (const [, resource] of ofType('Custom::S3BucketNotifications')) {
    const bucket = resolve(resource.Properties?.BucketName);
    const config = resource.Properties?.NotificationConfiguration as {
      LambdaFunctionConfigurations?: Array<{
        Events: string[];
        Filter?: { Key?: { FilterRules?: Array<{ Name: string; Value: string }> } };
        LambdaFunctionArn: { 'Fn::GetAtt': [string, string] };
      }>;
    };
    for (const target of config.LambdaFunctionConfigurations ?? []) {
      const rules = target.Filter?.Key?.FilterRules ?? [];
      const rule = (name: string) =>
        rules.find((candidate) => candidate.Name.toLowerCase() === name)?.Value;
      const prefix = rule('prefix');
      const suffix = rule('suffix');
      notifications.push({
        bucket,
        events: target.Events,
        ...(prefix ? { prefix } : {}),
        ...(suffix ? { suffix } : {}),
        functionLogicalId: target.LambdaFunctionArn['Fn::GetAtt'][0],
      });
    }
  }
  const schedules: LocalServiceModel['schedules'] = [];
  for (const [, resource] of ofType('AWS::Events::Rule')) {
    const expression = resource.Properties?.ScheduleExpression;
    if (typeof expression !== 'string') continue;
    for (const target of (resource.Properties?.Targets as Array<{ Arn: unknown }>) ?? []) {
      const getAtt = (target.Arn as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      if (getAtt) schedules.push({ expression, functionLogicalId: getAtt[0] });
    }
  }
  return {
    resources,
    schedules,
    tableName: names.tableName,
    mediaBucket: names.mediaBucket,
    functions,
    routes,
    notifications,
  };
}
