export * from './client.js';
export { AnnoflowApiError, type ClientErrorCode } from './errors.js';
export { type BatchLimits, type ImportBatch, importBatches } from './import-batches.js';
export {
  type AwsCredentials,
  createSigV4Signer,
  hasUserInfo,
  isLoopback,
  type RequestSigner,
  regionOfEndpoint,
  type SignableRequest,
  type SigV4SignerOptions,
} from './signer.js';
