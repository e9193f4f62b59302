import { readFile } from 'node:fs/promises';
import type {
  AnnoflowClient,
  AnnotateRunRequest,
  LoadReport,
  RunExecutionPage,
} from '../client/index.js';
import { InvalidInputError } from '../errors/index.js';
import type { ProgressStream } from './progress.js';
import { table } from './table.js';
import { CliUsageError, positiveInt } from './usage-error.js';
import { followRun } from './wait.js';

export const RUN_USAGE = `  annotate <dataset> <annoKey> [--label-field F] [--label-type T] [--classes a,b]
           [--attributes JSON|a,b] [--label-schema FILE.json] [--backend B]
           [--backend-params JSON] [--tags a,b | --sample-ids id1,id2] [--page-size N]
           [--dest-field F] [--unexpected keep|ignore|return] [--auto-load]
           [--wait-for-completion] [--wait [--timeout S]]
           [--allow-additions | --no-allow-additions] (likewise --[no-]allow-deletions,
           --[no-]allow-label-edits, --[no-]allow-index-edits, --[no-]allow-spatial-edits)
                                                     start an annotation run (AnnotateWorkflow);
                                                     --label-schema replaces --label-field and
                                                     friends; with neither, a schemaless run
                                                     (cvat: into the project --backend-params
                                                     names by project_name or project_id);
                                                     --wait returns once its tasks are open in
                                                     the tool, or with --wait-for-completion
                                                     once every task is finished (annotators'
                                                     time)
  status <dataset> <annoKey>                         each task: its status here and in the tool
  load <dataset> <annoKey> [--cleanup] [--wait [--timeout S]]
                                                     merge the finished tasks (LoadWorkflow);
                                                     --wait prints the load's totals
  cleanup <dataset> <annoKey> [--wait [--timeout S]] delete the run's tasks in the tool
                                                     (merged labels and the run record stay)
  runs report <dataset> <annoKey>                    the last load's report (totals, per field)
  runs unexpected <dataset> <annoKey>                labels the last load returned unmerged
                                                     (unexpected: return) and its refusals
  runs executions <dataset> <annoKey> [--limit N]    the run's workflow executions, newest
                                                     first: who started each, its status
`;

const ALLOW_FLAGS = {
  'allow-additions': 'allowAdditions',
  'allow-deletions': 'allowDeletions',
  'allow-label-edits': 'allowLabelEdits',
  'allow-index-edits': 'allowIndexEdits',
  'allow-spatial-edits': 'allowSpatialEdits',
} as const;
type AllowFlag = keyof typeof ALLOW_FLAGS;

export const RUN_OPTIONS = {
  'label-type': { type: 'string' },
  classes: { type: 'string' },
  attributes: { type: 'string' },
  'label-schema': { type: 'string' },
  'backend-params': { type: 'string' },
  'sample-ids': { type: 'string' },
  'page-size': { type: 'string' },
  'dest-field': { type: 'string' },
  unexpected: { type: 'string' },
  'auto-load': { type: 'boolean' },
  'wait-for-completion': { type: 'boolean' },
  wait: { type: 'boolean' },
  timeout: { type: 'string' },
  cleanup: { type: 'boolean' },
  'allow-additions': { type: 'boolean' },
  'no-allow-additions': { type: 'boolean' },
  'allow-deletions': { type: 'boolean' },
  'no-allow-deletions': { type: 'boolean' },
  'allow-label-edits': { type: 'boolean' },
  'no-allow-label-edits': { type: 'boolean' },
  'allow-index-edits': { type: 'boolean' },
  'no-allow-index-edits': { type: 'boolean' },
  'allow-spatial-edits': { type: 'boolean' },
  'no-allow-spatial-edits': { type: 'boolean' },
} as const;

/** Options `main` already declares for other commands, shared with these. */
type SharedOption = 'backend' | 'tags' | 'label-field' | 'limit';
type RunOption = keyof typeof RUN_OPTIONS | SharedOption;
type OptionValue<T> = T extends { type: 'string' } ? string : boolean;
export type RunValues = {
  readonly [K in keyof typeof RUN_OPTIONS]?: OptionValue<(typeof RUN_OPTIONS)[K]>;
} & { readonly [K in SharedOption]?: string };

/** What these commands need of the CLI's context. */
export interface RunCommandContext {
  readonly client: AnnoflowClient;
  readonly json: boolean;
  readonly stderr: ProgressStream;
  readonly values: RunValues;
  print(json: unknown, human: () => string): void;
}

interface RunCommand {
  readonly args: readonly string[];
  readonly options: readonly RunOption[];
  run(context: RunCommandContext, args: string[]): Promise<void>;
}

const WAIT_OPTIONS = ['wait', 'timeout'] as const satisfies readonly RunOption[];

const list = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);

function jsonOption(value: string, option: string): unknown {
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new CliUsageError(`--${option} is not JSON: ${(error as Error).message}`);
  }
}

/** `--timeout S` in ms (default: wait as long as it takes). */
function waitLimits(values: RunValues): { timeoutMs?: number } {
  if (values.timeout !== undefined && !values.wait) {
    throw new CliUsageError('--timeout applies to --wait only');
  }
  return values.timeout === undefined
    ? {}
    : { timeoutMs: positiveInt(values.timeout, 'timeout') * 1000 };
}

async function annotateRequest(values: RunValues, annoKey: string): Promise<AnnotateRunRequest> {
  const labelSchemaFile = values['label-schema'];
  if (labelSchemaFile === undefined && values['label-field'] === undefined) {
    // No schema at all is a schemaless run (CVAT with project_name/project_id); a field's
    // details without the field are a mistake, not a request for one.
    const detail = (['label-type', 'classes', 'attributes'] as const).find(
      (option) => values[option] !== undefined,
    );
    if (detail !== undefined) {
      throw new CliUsageError(
        `--${detail} needs --label-field (or --label-schema FILE.json); omit all three for a schemaless run`,
      );
    }
  }
  if (values.tags !== undefined && values['sample-ids'] !== undefined) {
    throw new CliUsageError('--tags and --sample-ids exclude each other');
  }
  const request: AnnotateRunRequest = { annoKey };
  if (labelSchemaFile !== undefined) {
    const text = await readFile(labelSchemaFile, 'utf8');
    try {
      request.labelSchema = JSON.parse(text);
    } catch (error) {
      throw new InvalidInputError(`${labelSchemaFile} is not JSON: ${(error as Error).message}`, {
        path: labelSchemaFile,
      });
    }
  }
  if (values['label-field'] !== undefined) request.labelField = values['label-field'];
  if (values['label-type'] !== undefined) request.labelType = values['label-type'];
  if (values.classes !== undefined) {
    // A JSON list may hold class groups ({classes, attributes}); plain names are a comma list.
    request.classes = values.classes.trimStart().startsWith('[')
      ? (jsonOption(values.classes, 'classes') as AnnotateRunRequest['classes'])
      : list(values.classes);
  }
  if (values.attributes !== undefined) {
    // JSON (true, a list, a map of specs), else a comma list of attribute names.
    let attributes: unknown;
    try {
      attributes = JSON.parse(values.attributes);
    } catch {
      attributes = list(values.attributes);
    }
    request.attributes = attributes as AnnotateRunRequest['attributes'];
  }
  for (const [flag, name] of Object.entries(ALLOW_FLAGS) as [AllowFlag, string][]) {
    const yes = values[flag];
    const no = values[`no-${flag}`];
    if (yes && no) throw new CliUsageError(`--${flag} and --no-${flag} exclude each other`);
    if (yes || no) Object.assign(request, { [name]: yes === true });
  }
  if (values.backend !== undefined) request.backend = values.backend;
  if (values['backend-params'] !== undefined) {
    const params = jsonOption(values['backend-params'], 'backend-params');
    if (params === null || typeof params !== 'object' || Array.isArray(params)) {
      throw new CliUsageError('--backend-params must be a JSON object');
    }
    request.backendParams = params as Record<string, unknown>;
  }
  if (values.tags !== undefined) request.tags = list(values.tags);
  if (values['sample-ids'] !== undefined) request.sampleIds = list(values['sample-ids']);
  if (values['page-size'] !== undefined) {
    request.pageSize = positiveInt(values['page-size'], 'page-size');
  }
  if (values['dest-field'] !== undefined) request.destField = values['dest-field'];
  if (values.unexpected !== undefined) {
    // Loaded here: the merge module is more than start-up should pay for.
    const { unexpectedPolicySchema } = await import('../merge/merge-annotations.js');
    const parsed = unexpectedPolicySchema.safeParse(values.unexpected);
    if (!parsed.success) {
      throw new CliUsageError(
        `--unexpected must be keep, ignore or return, not '${values.unexpected}'`,
      );
    }
    request.unexpected = parsed.data;
  }
  if (values['auto-load']) request.autoLoad = true;
  if (values['wait-for-completion']) request.waitForCompletion = true;
  return request;
}

const totalsLine = (totals: LoadReport['totals']): string =>
  `${totals.added} added, ${totals.edited} edited, ${totals.deleted} deleted, ` +
  `${totals.refused} refused, ${totals.skipped} skipped, ${totals.unexpected} unexpected`;

const fieldLine = (counts: LoadReport['fields'][string]): string => {
  const refused = Object.entries(counts.refused)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  return (
    `${counts.added} added, ${counts.edited} edited, ${counts.kept} kept, ` +
    `${counts.deleted} deleted, refused: ${refused || 'none'}, ` +
    `${counts.skipped} skipped, ${counts.unexpected} unexpected`
  );
};

/** The last report, or null when the run has none (a load that found nothing finished). */
async function lastReport(
  context: RunCommandContext,
  dataset: string,
  annoKey: string,
): Promise<LoadReport | null> {
  return context.client.runs.report(dataset, annoKey).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'REPORT_NOT_FOUND') return null;
    throw error;
  });
}

export const RUN_COMMANDS: Record<string, RunCommand> = {
  annotate: {
    args: ['dataset', 'annoKey'],
    options: [
      'label-field',
      'label-type',
      'classes',
      'attributes',
      'label-schema',
      'backend',
      'backend-params',
      'tags',
      'sample-ids',
      'page-size',
      'dest-field',
      'unexpected',
      'auto-load',
      'wait-for-completion',
      ...WAIT_OPTIONS,
      ...(Object.keys(ALLOW_FLAGS) as AllowFlag[]).flatMap((flag) => [flag, `no-${flag}`] as const),
    ],
    async run(context, [dataset = '', annoKey = '']) {
      const { values } = context;
      const limits = waitLimits(values);
      const request = await annotateRequest(values, annoKey);
      const started = await context.client.runs.annotate(dataset, request);
      if (!values.wait) {
        context.print(
          started,
          () =>
            `started annotation run ${annoKey} on ${dataset}\nexecution: ${started.executionArn}`,
        );
        return;
      }
      // An execution that waits for completion stays RUNNING through the annotators' work:
      // without --wait-for-completion, waiting ends once the run's tasks are open.
      const { execution, run } = await followRun(context, started, {
        ...limits,
        untilOpen: request.waitForCompletion !== true,
      });
      context.print({ ...started, execution, run }, () =>
        [
          `annotation run ${annoKey} is ${run?.status ?? 'unknown'}: ` +
            `${run?.counters.tasks ?? 0} task(s) in ${run?.backend ?? 'the backend'}`,
          `execution: ${started.executionArn} (${execution.status})`,
        ].join('\n'),
      );
    },
  },

  status: {
    args: ['dataset', 'annoKey'],
    options: [],
    async run(context, [dataset = '', annoKey = '']) {
      const status = await context.client.runs.status(dataset, annoKey);
      context.print(status, () =>
        [
          `annotation run ${status.annoKey}: ${status.status}`,
          status.tasks.length === 0
            ? 'no tasks'
            : table([
                ['TASK', 'TOOL TASK', 'SAMPLES', 'STATUS', 'TOOL STATE', 'TOOL UPDATED'],
                ...status.tasks.map((task) => [
                  task.taskId,
                  task.backendTaskId,
                  String(task.samples),
                  task.status,
                  task.backend?.state ?? '-',
                  task.backend?.updatedAt ?? '-',
                ]),
              ]),
        ].join('\n'),
      );
    },
  },

  load: {
    args: ['dataset', 'annoKey'],
    options: ['cleanup', ...WAIT_OPTIONS],
    async run(context, [dataset = '', annoKey = '']) {
      const limits = waitLimits(context.values);
      const started = await context.client.runs.load(dataset, annoKey, {
        cleanup: context.values.cleanup === true,
      });
      if (!context.values.wait) {
        context.print(
          started,
          () => `started loading annotation run ${annoKey}\nexecution: ${started.executionArn}`,
        );
        return;
      }
      const { execution, run } = await followRun(context, started, {
        ...limits,
        untilOpen: false,
      });
      const report = await lastReport(context, dataset, annoKey);
      context.print({ ...started, execution, run, report }, () =>
        [
          report ? `loaded ${annoKey}: ${totalsLine(report.totals)}` : `nothing loaded: no report`,
          ...(run
            ? [
                `run: ${run.status}, ${run.counters.tasksCompleted}/${run.counters.tasks} tasks completed`,
              ]
            : []),
        ].join('\n'),
      );
    },
  },

  cleanup: {
    args: ['dataset', 'annoKey'],
    options: [...WAIT_OPTIONS],
    async run(context, [dataset = '', annoKey = '']) {
      const limits = waitLimits(context.values);
      const started = await context.client.runs.cleanup(dataset, annoKey);
      if (!context.values.wait) {
        context.print(
          started,
          () => `started cleaning up annotation run ${annoKey}\nexecution: ${started.executionArn}`,
        );
        return;
      }
      const { execution, run } = await followRun(context, started, {
        ...limits,
        untilOpen: false,
      });
      context.print(
        { ...started, execution, run },
        () =>
          `annotation run ${annoKey} is ${run?.status ?? 'gone'}: its tasks in the tool are deleted`,
      );
    },
  },

  'runs report': {
    args: ['dataset', 'annoKey'],
    options: [],
    async run(context, [dataset = '', annoKey = '']) {
      const report = await context.client.runs.report(dataset, annoKey);
      context.print(report, () =>
        [
          `load ${report.loadId} of ${report.annoKey}, finished ${report.finishedAt}`,
          `totals: ${totalsLine(report.totals)}`,
          ...Object.entries(report.fields).map(
            ([field, counts]) => `  ${field}: ${fieldLine(counts)}`,
          ),
          table([
            ['TASK', 'MERGED', 'ADDED', 'EDITED', 'DELETED', 'REFUSED'],
            ...report.tasks.map((task) => [
              task.taskId,
              task.merged ? 'yes' : 'no',
              String(task.counts?.added ?? '-'),
              String(task.counts?.edited ?? '-'),
              String(task.counts?.deleted ?? '-'),
              String(task.counts?.refused ?? '-'),
            ]),
          ]),
        ].join('\n'),
      );
    },
  },

  'runs executions': {
    args: ['dataset', 'annoKey'],
    options: ['limit'],
    async run(context, [dataset = '', annoKey = '']) {
      const { values } = context;
      const limit = values.limit === undefined ? undefined : positiveInt(values.limit, 'limit');
      // Every execution (or `--limit` of them): the API answers 50 at most a page.
      const items: RunExecutionPage['items'] = [];
      let cursor: string | undefined;
      do {
        const next = await context.client.runs.executions(dataset, annoKey, {
          ...(limit === undefined ? {} : { limit: Math.min(50, limit - items.length) }),
          ...(cursor === undefined ? {} : { cursor }),
        });
        items.push(...next.items);
        cursor = next.cursor;
      } while (cursor !== undefined && (limit === undefined || items.length < limit));
      const page = { items };
      context.print(page, () =>
        page.items.length === 0
          ? 'no executions recorded'
          : table([
              ['started', 'workflow', 'by', 'status', 'execution'],
              ...page.items.map((execution) => [
                execution.startDate,
                execution.workflow,
                execution.startedBy === 'task' ? `task ${execution.backendTaskId ?? ''}` : 'api',
                execution.error ? `${execution.status} (${execution.error})` : execution.status,
                execution.executionName,
              ]),
            ]),
      );
    },
  },

  'runs unexpected': {
    args: ['dataset', 'annoKey'],
    options: [],
    async run(context, [dataset = '', annoKey = '']) {
      const answer = await context.client.runs.unexpected(dataset, annoKey);
      context.print(answer, () =>
        [
          `load ${answer.loadId}`,
          ...answer.tasks.map(
            (task) =>
              `${task.taskId}: ${
                task.unexpected === null
                  ? 'no unexpected labels'
                  : `unexpected labels on ${Object.keys(task.unexpected).length} sample(s)`
              }, ${task.refused.length} refused`,
          ),
          ...(answer.tasks.length === 0 ? ['no merged tasks'] : []),
          ...(context.json ? [] : ['(--json prints the labels themselves)']),
        ].join('\n'),
      );
    },
  },
};
