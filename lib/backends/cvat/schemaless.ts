import { BackendError, LabelSchemaError } from '../../errors/index.js';
import { SCHEMALESS_KEY } from '../../merge/merge-annotations.js';
import type { AttributeSpec } from '../../schema/types.js';
import { type CvatLabel, projectSchema } from './api.js';
import type { CvatClient } from './client.js';
import { type CvatLabelBinding, type CvatLabelPlan, LABEL_ID_ATTR } from './label-specs.js';
import type { CvatParams } from './params.js';
import { type CvatProject, lowestNamed } from './projects.js';

/**
 * The project of a schemaless run (FiftyOne's `label_schema` and `label_field` omitted): an
 * existing one, named by `project_id` or `project_name`, whose labels are the run's schema.
 * It is never created, patched nor (at cleanup) deleted: it is the user's, never `owned`.
 * `checkRun` calls this before the run is registered, so a run bound to fail is never made.
 *
 * @throws LabelSchemaError `LABEL_SCHEMA_REQUIRED` when neither param is given;
 *   BackendError `BACKEND_SCHEMA_MISMATCH` when the project does not exist.
 */
export async function schemalessProject(
  client: CvatClient,
  params: CvatParams,
): Promise<CvatProject> {
  if (params.project_id === undefined && params.project_name === undefined) {
    throw new LabelSchemaError(
      'LABEL_SCHEMA_REQUIRED',
      "Either `label_schema` or `label_field` is required by the 'cvat' backend, unless " +
        '`project_name` or `project_id` names an existing CVAT project whose labels are the schema',
      { backend: 'cvat' },
    );
  }
  if (params.project_id !== undefined) {
    const { status } = await client.request('GET', `/api/projects/${params.project_id}`, {
      schema: projectSchema,
      accept: [404],
    });
    if (status !== 404) return { id: params.project_id, owned: false };
    throw missing('project_id', params.project_id);
  }
  const name = params.project_name as string;
  const found = await lowestNamed(client, name);
  if (found) return { id: found.id, owned: false };
  throw missing('project_name', name);
}

function missing(param: 'project_id' | 'project_name', value: string | number): BackendError {
  return new BackendError(
    'BACKEND_SCHEMA_MISMATCH',
    `CVAT project ${param} '${value}' does not exist: a schemaless run (no \`label_schema\` nor ` +
      '`label_field`) uploads into an existing project, whose labels are its schema',
    { [param]: value },
  );
}

/**
 * How a schemaless run reads CVAT's labels back: every label of the project is a class of
 * the schemaless field (`SCHEMALESS_KEY`), every attribute but `label_id` is read as text
 * (then typed as FiftyOne parses attribute strings), and each item becomes the label its
 * shape makes: rectangles detections, polygons filled and polylines open polylines, points
 * keypoints, tags classifications. Masks have no such label outside an instance field and
 * are skipped.
 */
export function schemalessPlan(labels: readonly CvatLabel[], params: CvatParams): CvatLabelPlan {
  const byName = new Map<string, CvatLabelBinding>();
  for (const label of labels) {
    const attributes: Record<string, AttributeSpec> = {};
    for (const { name } of label.attributes) {
      if (name !== LABEL_ID_ATTR) attributes[name] = { type: 'text', values: [] };
    }
    byName.set(label.name, {
      labelName: label.name,
      field: SCHEMALESS_KEY,
      className: label.name,
      fieldSchema: { type: 'detections', classes: [label.name], attributes, existingField: false },
      attributes,
      ...(params.occluded_attr ? { occludedAttr: params.occluded_attr } : {}),
      ...(params.group_id_attr ? { groupIdAttr: params.group_id_attr } : {}),
    });
  }
  return { specs: [], byName, nameOf: () => undefined };
}
