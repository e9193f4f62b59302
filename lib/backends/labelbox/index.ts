export { type ExportLine, exportLineSchema, exportToAnnotations } from './export-labels.js';
export * from './labelbox-backend.js';
export {
  fieldsOfOntology,
  type Ontology,
  type OntologyField,
  ontologyOf,
  ontologySchema,
} from './ontology.js';
export {
  graphqlEndpoint,
  type LabelboxParams,
  labelboxEndpoints,
  labelboxParamsSchema,
} from './params.js';
export { decodeMaskPng } from './png.js';
export {
  parseLabelboxWebhook,
  signatureMatches,
  WEBHOOK_TOPICS,
  webhookSecretName,
} from './webhook.js';
