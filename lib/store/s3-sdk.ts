/**
 * The part of the S3 SDK the store sends. Loaded only through `import()` (see
 * {@link LazyS3Client}); naming the exports here, rather than `import('@aws-sdk/client-s3')`,
 * lets the bundler leave out the hundred commands the store never sends.
 */
export {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
