export { CvatClient } from './client.js';
export {
  boxFromCvat,
  boxToCvat,
  pointsFromCvat,
  pointsToCvat,
  pythonRound,
} from './coordinates.js';
export {
  type CvatBackendOptions,
  createCvatBackend,
  cvatBackend,
  cvatTaskDataSchema,
} from './cvat-backend.js';
export { fromCvatAnnotations, parseAttribute } from './from-cvat.js';
export {
  attributeText,
  type CvatLabelPlan,
  type CvatLabelSpec,
  checkProjectLabels,
  LABEL_ID_ATTR,
  planCvatLabels,
} from './label-specs.js';
export {
  type CvatParams,
  type CvatParamsInput,
  cvatParamsSchema,
  isJobFinished,
} from './params.js';
export { runProjectName } from './projects.js';
export { toCvatAnnotations } from './to-cvat.js';
export {
  CVAT_WEBHOOK_EVENTS,
  parseCvatWebhook,
  verifyCvatWebhook,
  webhookSecretName,
} from './webhook.js';
