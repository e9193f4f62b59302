/**
 * Names of the environment variables the deployed service sets on its Lambdas.
 *
 * The CDK `bind*` helpers set them (and grant the matching IAM access in the same call); the
 * runtime config parses them; the local runtime sets them to its stand-ins. One list, so the
 * three cannot drift.
 */
export const SERVICE_ENV = {
  /** Name of the service's single DynamoDB table. */
  TABLE_NAME: 'TABLE_NAME',
  /** Name of the media bucket: media under `datasets/`, large label values under `blobs/`. */
  MEDIA_BUCKET: 'MEDIA_BUCKET',
  /** ARNs of the state machines, for functions that start them or wake them. */
  ANNOTATE_WORKFLOW_ARN: 'ANNOTATE_WORKFLOW_ARN',
  LOAD_WORKFLOW_ARN: 'LOAD_WORKFLOW_ARN',
  CLEANUP_WORKFLOW_ARN: 'CLEANUP_WORKFLOW_ARN',
  /** Name prefix of the backends' secrets in Secrets Manager (`annoflow/<stack>/`). */
  SECRETS_PREFIX: 'SECRETS_PREFIX',
  /**
   * Secrets Manager id of the media link signer's access key (JSON `{accessKeyId,
   * secretAccessKey}`): presigned media links are signed with it, so they live their full 7
   * days instead of dying with a function role's session.
   */
  MEDIA_LINK_SIGNER_SECRET: 'MEDIA_LINK_SIGNER_SECRET',
  /** JSON: backend credential variable name → Secrets Manager secret id. */
  CREDENTIAL_SECRETS: 'ANNOFLOW_CREDENTIAL_SECRETS',
} as const;
