import { z } from 'zod';
import { SERVICE_ENV } from '../config/service-env.js';
import { parseInput } from '../errors/index.js';

/**
 * The environment variables the store reads. Table and bucket names come from
 * `SERVICE_ENV`, the list the CDK `bind*` helpers set; the endpoint variables are the AWS
 * SDK's own service-specific names, so a local run only points them at the stand-ins.
 */
export const STORE_ENV = {
  region: 'AWS_REGION',
  dynamodbEndpoint: 'AWS_ENDPOINT_URL_DYNAMODB',
  s3Endpoint: 'AWS_ENDPOINT_URL_S3',
  tableName: SERVICE_ENV.TABLE_NAME,
  mediaBucket: SERVICE_ENV.MEDIA_BUCKET,
} as const;

// Deployment tools often emit "" for "not configured": treat it as absent.
const optional = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

const endpoint = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

const storeEnvSchema = z.object({
  // Lambda always sets AWS_REGION; the default only serves local runs.
  [STORE_ENV.region]: optional(z.string().min(1)).transform((value) => value ?? 'us-east-1'),
  [STORE_ENV.dynamodbEndpoint]: optional(endpoint),
  [STORE_ENV.s3Endpoint]: optional(endpoint),
  [STORE_ENV.tableName]: z.string().min(3, 'must name the DynamoDB table'),
  [STORE_ENV.mediaBucket]: z.string().min(3, 'must name the media bucket'),
});

/** Where the store's table and bucket are, and how to reach them. */
export interface StoreConfig {
  readonly region: string;
  readonly dynamodbEndpoint?: string;
  readonly s3Endpoint?: string;
  readonly tableName: string;
  readonly mediaBucket: string;
}

/**
 * Parses the store's settings from `env` once, at init. A missing or invalid variable fails
 * with an InvalidInputError whose message names it (e.g. `at 'TABLE_NAME'`).
 */
export function loadStoreConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): StoreConfig {
  const parsed = parseInput(storeEnvSchema, env, 'store environment');
  return Object.freeze({
    region: parsed[STORE_ENV.region],
    dynamodbEndpoint: parsed[STORE_ENV.dynamodbEndpoint],
    s3Endpoint: parsed[STORE_ENV.s3Endpoint],
    tableName: parsed[STORE_ENV.tableName],
    mediaBucket: parsed[STORE_ENV.mediaBucket],
  });
}
