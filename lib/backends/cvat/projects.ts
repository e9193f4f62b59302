import { BackendError } from '../../errors/index.js';
import type { RunRef } from '../backend.js';
import { type CvatLabel, labelSchema, projectSchema } from './api.js';
import type { CvatClient } from './client.js';
import { type CvatLabelPlan, checkProjectLabels, LABEL_ID_ATTR } from './label-specs.js';
import type { CvatParams } from './params.js';

export interface CvatProject {
  id: number;
  /** Whether the run owns it (made it, or it bears the run's own name): cleanup deletes it. */
  owned: boolean;
}

/** The project a run without `project_name`/`project_id` gets: one per run, named after it. */
export const runProjectName = (run: RunRef): string => `annoflow/${run.dataset}/${run.annoKey}`;

/**
 * The run's project: `project_id` (must exist), else `project_name` or the run's own name,
 * found by exact name (lowest id wins) or, with `create`, made with the plan's labels. An
 * existing project's labels are checked against the plan (reference §1.3 step 3).
 *
 * Pages upload in parallel, so two first uploads can both create the run's project: each
 * then keeps the lowest id and deletes its own if it lost (as the Label Studio backend does).
 */
export async function findProject(
  client: CvatClient,
  params: CvatParams,
  run: RunRef,
  plan: CvatLabelPlan,
  options: { create: boolean },
): Promise<CvatProject | undefined> {
  if (params.project_id !== undefined) {
    const { status } = await client.request('GET', `/api/projects/${params.project_id}`, {
      schema: projectSchema,
      accept: [404],
    });
    if (status === 404) {
      throw new BackendError(
        'BACKEND_SCHEMA_MISMATCH',
        `Project '${params.project_id}' not found`,
        {
          projectId: params.project_id,
        },
      );
    }
    await reconcileLabels(client, params.project_id, plan);
    return { id: params.project_id, owned: false };
  }
  const own = runProjectName(run);
  const name = params.project_name ?? own;
  const found = await lowestNamed(client, name);
  if (found) {
    await reconcileLabels(client, found.id, plan);
    return { id: found.id, owned: name === own };
  }
  if (!options.create) return undefined;
  const { data } = await client.request('POST', '/api/projects', {
    body: { name, labels: plan.specs },
    schema: projectSchema,
  });
  if (!data)
    throw new BackendError('BACKEND_RESPONSE_INVALID', 'CVAT created no project', { name });
  // Another page may have made one at the same time: every page keeps the lowest id, and a
  // page that lost deletes its own (still empty), so the run's tasks share one project.
  const winner = (await lowestNamed(client, name)) ?? data;
  if (winner.id === data.id) return { id: data.id, owned: true };
  await client.request('DELETE', `/api/projects/${data.id}`, { accept: [404] });
  await reconcileLabels(client, winner.id, plan);
  return { id: winner.id, owned: true };
}

/** The project named exactly `name` with the lowest id (CVAT's search matches substrings). */
export async function lowestNamed(client: CvatClient, name: string) {
  return (await client.list('/api/projects', projectSchema, { search: name }))
    .filter((project) => project.name === name)
    .sort((a, b) => a.id - b.id)[0];
}

/** The project's labels by name, with their attribute ids. */
export async function projectLabels(
  client: CvatClient,
  projectId: number,
): Promise<Map<string, CvatLabel>> {
  const labels = await client.list('/api/labels', labelSchema, { project_id: projectId });
  return new Map(labels.map((label) => [label.name, label]));
}

async function reconcileLabels(client: CvatClient, projectId: number, plan: CvatLabelPlan) {
  const existing = [...(await projectLabels(client, projectId)).values()];
  const patch = checkProjectLabels(plan, existing, projectId);
  if (patch.length === 0) return;
  // Additive only: the existing attributes are sent back unchanged, with `label_id` added.
  await client.request('PATCH', `/api/projects/${projectId}`, {
    body: {
      labels: patch.map((label) => ({
        id: label.id,
        name: label.name,
        attributes: [
          ...label.attributes.map(({ id, name, mutable, input_type, values, default_value }) => ({
            id,
            name,
            mutable,
            input_type,
            values,
            ...(default_value !== undefined ? { default_value } : {}),
          })),
          { name: LABEL_ID_ATTR, mutable: true, input_type: 'text', values: [] },
        ],
      })),
    },
    schema: projectSchema,
  });
}
