import type { RunRef } from '../backend.js';
import { type LabelStudioProject, projectPageSchema, projectSchema } from './api-schemas.js';
import type { LabelStudioClient } from './client.js';
import { labelConfigOf } from './label-config.js';

/** Label Studio's limit on a project title. */
const TITLE_MAX = 50;

/**
 * Names a run's project in its description. Every call of the backend is stateless and pages
 * upload concurrently, so the project is found again from the run alone; the title is the
 * user's (FiftyOne's `project_name`) and may clash with other projects, the marker may not.
 */
export function projectMarker(run: Pick<RunRef, 'dataset' | 'annoKey'>): string {
  return `annoflow run ${run.dataset}/${run.annoKey}`;
}

/** The run's project; the oldest one if concurrent uploads each created one. */
export async function findProject(
  client: LabelStudioClient,
  run: Pick<RunRef, 'dataset' | 'annoKey'>,
): Promise<LabelStudioProject | undefined> {
  const marker = projectMarker(run);
  const found = (await listProjects(client, { search: marker })).filter(
    (project) => project.description === marker,
  );
  return found.sort((a, b) => a.id - b.id)[0];
}

export async function getProject(
  client: LabelStudioClient,
  projectId: number,
): Promise<LabelStudioProject | undefined> {
  return client.request('GET', `/api/projects/${projectId}/`, {
    schema: projectSchema,
    allow404: true,
  });
}

/**
 * The run's project, created with the run's label config when there is none. Two pages
 * uploading at once may both create one: each then keeps the oldest and deletes its own
 * if it lost, so all tasks land in one project. A taken title gets FiftyOne's `_<unix time>`.
 */
export async function ensureProject(
  client: LabelStudioClient,
  run: RunRef,
  options: { projectName: string | null | undefined; now: Date },
): Promise<LabelStudioProject> {
  const existing = await findProject(client, run);
  if (existing) return existing;
  const wanted = options.projectName ?? `FiftyOne_${run.dataset}`;
  const clash = (await listProjects(client, { title: wanted.slice(0, TITLE_MAX) })).some(
    (project) => project.title === wanted.slice(0, TITLE_MAX),
  );
  const suffix = clash ? `_${Math.floor(options.now.getTime() / 1000)}` : '';
  const title = `${wanted.slice(0, TITLE_MAX - suffix.length)}${suffix}`;
  const created = await client.request('POST', '/api/projects/', {
    body: { title, description: projectMarker(run), label_config: labelConfigOf(run.labelSchema) },
    schema: projectSchema,
  });
  const winner = (await findProject(client, run)) ?? created;
  if (winner.id !== created.id) {
    await client.request('DELETE', `/api/projects/${created.id}/`, { allow404: true });
  }
  return winner;
}

/** Every page of `GET /api/projects/` (DRF paging: `next` until null, or a 404 past the end). */
async function listProjects(
  client: LabelStudioClient,
  filter: Record<string, string>,
): Promise<LabelStudioProject[]> {
  const projects: LabelStudioProject[] = [];
  for (let page = 1; ; page += 1) {
    const answer = await client.request('GET', '/api/projects/', {
      query: { ...filter, page, page_size: 100 },
      schema: projectPageSchema,
      allow404: true,
    });
    if (answer === undefined) return projects;
    projects.push(...answer.results);
    if (!answer.next || answer.results.length === 0) return projects;
  }
}
