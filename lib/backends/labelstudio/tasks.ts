import { type LabelStudioTask, taskPageSchema } from './api-schemas.js';
import type { LabelStudioClient } from './client.js';

/** A task-list query for the tasks of one page of one run (Data Manager filter syntax). */
function pageQuery(runRef: string, page: number): string {
  const item = (key: string, type: string, value: string | number) => ({
    filter: `filter:tasks:data.${key}`,
    operator: 'equal',
    type,
    value,
  });
  return JSON.stringify({
    filters: {
      conjunction: 'and',
      items: [item('annoflow_run', 'String', runRef), item('annoflow_page', 'Number', page)],
    },
    ordering: [],
    selectedItems: { all: true, excluded: [] },
  });
}

/**
 * The project's tasks of one page of the run, every page of the listing read. Label Studio
 * ends a listing with a 404 for the page past the end (reference §5.9); a short page ends it
 * one request sooner.
 */
export async function listPageTasks(
  client: LabelStudioClient,
  options: { projectId: number; runRef: string; page: number; pageSize: number },
): Promise<LabelStudioTask[]> {
  const tasks: LabelStudioTask[] = [];
  const query = pageQuery(options.runRef, options.page);
  for (let page = 1; ; page += 1) {
    const answer = await client.request('GET', '/api/tasks/', {
      query: {
        project: options.projectId,
        page,
        page_size: options.pageSize,
        fields: 'all',
        query,
      },
      schema: taskPageSchema,
      allow404: true,
    });
    if (answer === undefined) return tasks;
    tasks.push(...answer.tasks);
    if (answer.tasks.length < options.pageSize) return tasks;
  }
}

/** How a media link error says Label Studio could not reach a sample. */
export const LABEL_STUDIO_CANNOT_LOAD = 'Label Studio cannot load';
