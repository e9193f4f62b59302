import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LabelboxEmulator } from '../../../emulators/labelbox/emulator.js';

let emulator: LabelboxEmulator;
beforeEach(async () => {
  emulator = await new LabelboxEmulator().start();
});
afterEach(async () => {
  await emulator.stop();
});

async function graphql(body: unknown, key = emulator.apiKey, path = '/graphql') {
  const response = await fetch(`${emulator.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const UPLOAD_FILE =
  'mutation UploadFile($file: Upload!, $contentLength: Int!, $sign: Boolean) { uploadFile(file: $file, contentLength: $contentLength, sign: $sign) {url filename} }';

/** A multipart upload as the SDK's `Client.upload_data` sends it, with `contentLength` given. */
async function upload(
  content: string,
  filename: string,
  contentLength = Buffer.byteLength(content),
) {
  const form = new FormData();
  form.append(
    'operations',
    JSON.stringify({ variables: { file: null, contentLength, sign: false }, query: UPLOAD_FILE }),
  );
  form.append('map', JSON.stringify({ '1': ['variables.file'] }));
  form.append('1', new Blob([content], { type: 'application/json' }), filename);
  const response = await fetch(`${emulator.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emulator.apiKey}` },
    body: form,
  });
  return (await response.json()) as {
    data?: { uploadFile?: { url: string } } | null;
    errors?: unknown[];
  };
}

const UPSERT =
  'mutation UpsertDataRowsPyApi($manifestUri: String!) { upsertDataRows(data: { manifestUri: $manifestUri }) { id status type } }';

describe('Emulator: Labelbox (its own contract checks)', () => {
  it('answers a request without the API key with 401', async () => {
    const { status } = await graphql({ query: 'query { projects { id } }' }, 'wrong');
    expect(status).toBe(401);
  });

  it('records a root field Labelbox is not assumed to have', async () => {
    const { body } = await graphql({ query: 'query { everything { id } }' });
    expect(body.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    ]);
    expect(emulator.violations()).toEqual(['GraphQL: unknown root field everything']);
  });

  it('refuses connectOntology and createBatchV2 as root mutations: the SDK nests them under project', async () => {
    const variables = { projectId: 'p', ontologyId: 'o' };
    await graphql({
      query:
        'mutation M($projectId: ID!, $ontologyId: ID!) { connectOntology(projectId: $projectId, ontologyId: $ontologyId) { id } }',
      variables,
    });
    await graphql(
      {
        query:
          'mutation M($input: CreateBatchInput!) { createBatchV2(input: $input) { batchId failedDataRowIds } }',
        variables: { input: { projectId: 'p', name: 'b', dataRowIds: ['r'] } },
      },
      emulator.apiKey,
      '/_gql',
    );
    expect(emulator.violations()).toEqual([
      'GraphQL: unknown root field connectOntology',
      'GraphQL: unknown root field createBatchV2',
    ]);
  });

  it('refuses createBatchV2 sent to /graphql: the SDK sends it to the experimental /_gql', async () => {
    const { body } = await graphql({
      query:
        'mutation M($projectId: ID!, $batchInput: CreateBatchInput!) { project(where: {id: $projectId}) { createBatchV2(input: $batchInput) { batch { id } failedDataRowIds } } }',
      variables: { projectId: 'p', batchInput: { name: 'b', dataRowIds: ['r'] } },
    });
    expect(body.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }),
    ]);
    expect(emulator.violations()).toEqual([
      'GraphQL project.createBatchV2: sent to /graphql, not where the SDK sends it',
    ]);
  });

  it('refuses the old export input: projectId, filters.batchIds and unprefixed params', async () => {
    await graphql({
      query:
        'mutation M($input: ExportDataRowsInProjectInput!) { exportDataRowsInProject(input: $input) { taskId } }',
      variables: {
        input: {
          projectId: 'p',
          filters: { batchIds: ['b'] },
          params: { dataRowDetails: true, projectDetails: true, labelDetails: true },
        },
      },
    });
    expect(emulator.violations()).toEqual([
      expect.stringContaining('GraphQL exportDataRowsInProject: variables'),
    ]);
  });

  it('refuses a task read as result { url }: the result is the URL itself', async () => {
    await graphql({
      query:
        'query Q($where: WhereUniqueIdInput) { task(where: $where) { id status result { url } } }',
      variables: { where: { id: 't' } },
    });
    expect(emulator.violations()).toEqual([
      "GraphQL task: the document does not have the SDK's shape",
    ]);
  });

  it('deletes an ontology over REST only: DELETE /api/v1/ontologies/<id>, 204; no deleteOntology mutation', async () => {
    emulator.state.ontologies.set('on1', {
      id: 'on1',
      name: 'o',
      normalized: { tools: [], classifications: [] },
    });
    const remove = (key: string) =>
      fetch(`${emulator.url}/api/v1/ontologies/on1`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${key}` },
      });
    expect((await remove('wrong')).status).toBe(401);
    await graphql({
      query: 'mutation M($id: String!) { deleteOntology(id: $id) { id } }',
      variables: { id: 'on1' },
    });
    expect(emulator.state.ontologies.has('on1')).toBe(true);
    expect((await remove(emulator.apiKey)).status).toBe(204);
    const again = await remove(emulator.apiKey);
    expect(again.status).toBe(404);
    expect(await again.json()).toEqual({ message: 'Ontology on1 not found' });
    expect(emulator.violations()).toEqual(['GraphQL: unknown root field deleteOntology']);
  });

  it('refuses a name lookup without the SDK’s deleted: false and paging', async () => {
    await graphql({
      query: 'query Q($where: ProjectWhere!) { projects(where: $where) { id } }',
      variables: { where: { name: 'p' } },
    });
    const { body } = await graphql({
      query:
        'query Q($name: String!, $deleted: Boolean!) { projects(where: {AND: [{name: $name}, {deleted: $deleted}]} skip: 0 first: 100) { id } }',
      variables: { name: 'p', deleted: false },
    });
    expect(body).toEqual({ data: { projects: [] } });
    expect(emulator.violations()).toEqual([
      "GraphQL projects: the document does not have the SDK's shape",
    ]);
  });

  it('refuses a project made with mediaType: the SDK names the field allowedMediaType', async () => {
    await graphql({
      query:
        'mutation M($name: String!, $description: String!, $mediaType: MediaType!) { createProject(data: {name: $name description: $description mediaType: $mediaType}) { id } }',
      variables: { name: 'p', description: '', mediaType: 'IMAGE' },
    });
    expect(emulator.counts().projects).toBe(0);
    expect(emulator.violations()).toEqual([
      "GraphQL createProject: the document does not have the SDK's shape",
    ]);
  });

  it('refuses a project made without the quality settings the SDK sends by default', async () => {
    await graphql({
      query:
        'mutation M($name: String!, $description: String!, $allowedMediaType: MediaType!) { createProject(data: {name: $name description: $description allowedMediaType: $allowedMediaType}) { id } }',
      variables: { name: 'p', description: '', allowedMediaType: 'IMAGE' },
    });
    expect(emulator.counts().projects).toBe(0);
    expect(emulator.violations()).toEqual([
      "GraphQL createProject: the document does not have the SDK's shape",
    ]);
  });

  it('refuses quality settings other than the SDK defaults (3 labels, 0 %, benchmark and consensus on)', async () => {
    await graphql({
      query:
        'mutation M($name: String!, $description: String!, $allowedMediaType: MediaType!, $autoAuditNumberOfLabels: Int!, $autoAuditPercentage: Float!, $isBenchmarkEnabled: Boolean!, $isConsensusEnabled: Boolean!) { createProject(data: {name: $name description: $description allowedMediaType: $allowedMediaType autoAuditNumberOfLabels: $autoAuditNumberOfLabels autoAuditPercentage: $autoAuditPercentage isBenchmarkEnabled: $isBenchmarkEnabled isConsensusEnabled: $isConsensusEnabled}) { id } }',
      variables: {
        name: 'p',
        description: '',
        allowedMediaType: 'IMAGE',
        autoAuditNumberOfLabels: 1,
        autoAuditPercentage: 1,
        isBenchmarkEnabled: true,
        isConsensusEnabled: false,
      },
    });
    expect(emulator.counts().projects).toBe(0);
    expect(emulator.violations()).toEqual([
      expect.stringContaining('GraphQL createProject: variables'),
    ]);
  });

  it('records variables that break the assumed argument shapes', async () => {
    await graphql({
      query:
        'mutation M($projectId: ID!, $url: String!, $secret: String!) { createWebhook(data: {project: {id: $projectId}, topics: {set: [LABEL_CREATED]}, url: $url, secret: $secret}) { id } }',
      variables: { projectId: 'p', url: 'https://x', secret: '' },
    });
    expect(emulator.violations()).toEqual([
      expect.stringContaining('GraphQL createWebhook: variables'),
    ]);
  });

  it('records an ontology that breaks the assumed normalized shape', async () => {
    await graphql({
      query: 'mutation M($data: UpsertOntologyInput!) { upsertOntology(data: $data) { id } }',
      variables: {
        data: { name: 'o', normalized: JSON.stringify({ tools: [{ tool: 'brush' }] }) },
      },
    });
    expect(emulator.violations()).toEqual([expect.stringContaining('upsertOntology: normalized')]);
  });

  it('refuses a dropdown question: Labelbox has no such classification type any more', async () => {
    const dropdown = {
      type: 'dropdown',
      name: 'color',
      instructions: 'color',
      required: false,
      options: [{ label: 'red', value: 'red' }],
    };
    await graphql({
      query: 'mutation M($data: UpsertOntologyInput!) { upsertOntology(data: $data) { id } }',
      variables: {
        data: { name: 'o', normalized: JSON.stringify({ tools: [], classifications: [dropdown] }) },
      },
    });
    expect(emulator.violations()).toEqual([expect.stringContaining('upsertOntology: normalized')]);
  });

  it('answers an upload sent as the SDK sends it with the URL of the upload', async () => {
    const answer = await upload('[]', 'json_import.json');

    expect(answer.data?.uploadFile?.url).toMatch(/\/uploads\/.+\/json_import\.json$/);
    expect(emulator.violations()).toEqual([]);
  });

  it('refuses an upload whose contentLength is not the size of its file', async () => {
    const answer = await upload('[]', 'json_import.json', 3);

    expect(answer.errors).toHaveLength(1);
    expect(emulator.violations()).toEqual([
      'uploadFile: contentLength 3, but the file holds 2 bytes',
    ]);
  });

  it('refuses an import of a manifest that was never uploaded', async () => {
    await graphql({
      query: UPSERT,
      variables: { manifestUri: 'https://elsewhere.example/m.json' },
    });

    expect(emulator.violations()).toEqual([
      'upsertDataRows: the manifest https://elsewhere.example/m.json was not uploaded with uploadFile',
    ]);
  });

  it('refuses an import whose rows are not the SDK’s {id: AUTO, payload} specs', async () => {
    const chunk = await upload(
      JSON.stringify([{ rowData: 'https://media.example/1.jpg', globalKey: 's1' }]),
      'json_import.json',
    );
    const manifest = await upload(
      JSON.stringify({ source: 'SDK', item_count: 1, chunk_uris: [chunk.data?.uploadFile?.url] }),
      'manifest.json',
    );
    await graphql({ query: UPSERT, variables: { manifestUri: manifest.data?.uploadFile?.url } });

    expect(emulator.violations()).toEqual([expect.stringMatching(/^upsertDataRows: the chunk /)]);
    expect(emulator.state.importTasks.size).toBe(0);
  });

  it('refuses createDataRows: Labelbox is not known to have it, the SDK imports rows from files', async () => {
    await graphql({
      query:
        'mutation CreateDataRows($data: CreateDataRowsInput!) { createDataRows(data: $data) { ids } }',
      variables: {
        data: { datasetId: 'd', dataRows: [{ rowData: 'https://x/1.jpg', globalKey: 's1' }] },
      },
    });

    expect(emulator.violations()).toEqual(['GraphQL: unknown root field createDataRows']);
  });

  it('reports a missing resource as RESOURCE_NOT_FOUND, and a missing project as null', async () => {
    const deleted = await graphql({
      query:
        'mutation M($projectId: ID!) { updateProject(where: {id: $projectId} data: {deleted: true}) { id } }',
      variables: { projectId: 'nope' },
    });
    const read = await graphql({
      query: 'query Q($projectId: ID!) { project(where: {id: $projectId}) { id } }',
      variables: { projectId: 'nope' },
    });
    expect(deleted.body.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'RESOURCE_NOT_FOUND' } }),
    ]);
    expect(read.body).toEqual({ data: { project: null } });
    expect(emulator.violations()).toEqual([]);
  });
});
