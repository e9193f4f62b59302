import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiDocument } from '../../../lib/api/document.js';

describe('docs/openapi.json', () => {
  it('is the document the route schemas generate (run `npm run openapi` after changing a route)', () => {
    const committed = JSON.parse(
      readFileSync(resolve(import.meta.dirname, '../../../docs/openapi.json'), 'utf8'),
    );
    expect(committed).toEqual(JSON.parse(JSON.stringify(apiDocument())));
  });

  it('marks a request body optional when the route has a default for all of it (POST …/load)', () => {
    const load = apiDocument().paths['/datasets/{dataset}/runs/{annoKey}/load']?.post as
      | { requestBody?: { required?: boolean } }
      | undefined;
    const create = apiDocument().paths['/datasets']?.post as
      | { requestBody?: { required?: boolean } }
      | undefined;

    expect(load?.requestBody?.required).toBe(false);
    expect(create?.requestBody?.required).toBe(true);
  });
});
