import { InvalidInputError } from '../../errors/index.js';
import type { UploadSample } from '../../schema/upload-sample.js';
import type { BackendObjectStore } from '../object-store.js';
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

/**
 * The link an annotator's browser loads a sample's image from. Media in the service's bucket
 * gets a presigned GET (no media bytes pass through annoflow); an http(s) filepath is
 * already a URL. Anything else cannot be reached from Label Studio.
 *
 * @throws InvalidInputError naming the sample and its filepath.
 */
export async function imageUrlOf(
  sample: Pick<UploadSample, 'id' | 'filepath'>,
  objects: BackendObjectStore,
  expiresInSeconds: number,
): Promise<string> {
  const { filepath } = sample;
  if (/^https?:\/\//i.test(filepath)) return filepath;
  if (isPresigned(sample, objects)) {
    return objects.presignGet(filepath.slice(`s3://${objects.bucket}/`.length), expiresInSeconds);
  }
  throw new InvalidInputError(
    `Sample '${sample.id}' has filepath '${filepath}', which Label Studio cannot load: ` +
      `media must be in s3://${objects.bucket}/ or at an http(s) URL`,
    { sampleId: sample.id, filepath },
  );
}

/** Whether the sample's link is a presigned one, i.e. one that expires. */
export function isPresigned(
  sample: Pick<UploadSample, 'filepath'>,
  objects: BackendObjectStore,
): boolean {
  const prefix = `s3://${objects.bucket}/`;
  return sample.filepath.startsWith(prefix) && sample.filepath.length > prefix.length;
}
