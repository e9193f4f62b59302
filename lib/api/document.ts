import { openApiDocument } from './openapi.js';
import { API } from './routes/index.js';

/** The HTTP API's OpenAPI document, as committed in docs/openapi.json. */
export function apiDocument() {
  return openApiDocument(API, { title: 'annoflow HTTP API', version: '0.1.0' });
}
