/** `npm run openapi`: writes docs/openapi.json from the API's route schemas. */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { apiDocument } from '../lib/api/document.js';

const target = resolve(import.meta.dirname, '..', 'docs', 'openapi.json');
writeFileSync(target, `${JSON.stringify(apiDocument(), null, 2)}\n`);
console.log(`wrote ${target}`);
