import { createDataset, deleteDataset, getDataset, listDatasets } from './datasets.js';
import { listRunExecutions } from './executions.js';
import {
  deleteAnnotationRun,
  getAnnotationRun,
  listAnnotationRuns,
  renameAnnotationRun,
} from './runs.js';
import { getSample, importSamples, listSamples } from './samples.js';
import {
  getExecution,
  getLoadReport,
  getRunStatus,
  getUnexpectedLabels,
  startAnnotation,
  startCleanup,
  startLoad,
} from './workflows.js';

export type { ApiDeps } from './deps.js';

/** Every route of the HTTP API; `cdk/function-entries.ts` lists the same route keys. */
export const API = [
  listDatasets,
  createDataset,
  getDataset,
  deleteDataset,
  listSamples,
  importSamples,
  getSample,
  listAnnotationRuns,
  getAnnotationRun,
  renameAnnotationRun,
  deleteAnnotationRun,
  startAnnotation,
  startLoad,
  startCleanup,
  getRunStatus,
  getLoadReport,
  getUnexpectedLabels,
  getExecution,
  listRunExecutions,
] as const;
